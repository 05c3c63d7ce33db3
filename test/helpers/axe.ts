import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';

const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** The serious and critical axe-core violations on the page as it is, in words (axe-core is injected once per page). */
export async function axeViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate('typeof window.axe !== "undefined"'))) await page.evaluate(axeSource);
  return (await page.evaluate(
    `window.axe.run(document).then((result) => result.violations.filter((each) => each.impact === 'serious' || each.impact === 'critical').map((each) => each.impact + ' ' + each.id + ' (' + each.help + ') at ' + each.nodes.map((node) => node.target.join(' ')).join(', ')))`,
  )) as string[];
}
