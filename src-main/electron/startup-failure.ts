import { app, dialog } from 'electron';
import { DormouseError } from '../../shared/errors';

/** The title and text of the dialog a failed start-up shows: what happened, then what to do. */
export interface StartupFailureText {
  title: string;
  content: string;
}

const title = 'Dormouse could not start';

/** The engine's one-line messages ("the catalog … ; update Dormouse to open it") as a sentence. */
function sentence(message: string): string {
  const text = message.trim();
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}${/[.!?]$/.test(text) ? '' : '.'}`;
}

/**
 * Says in words why the tray app could not start and what to do: a catalog from a newer Dormouse,
 * one held by another program, one that cannot be read, better-sqlite3 built for the wrong runtime.
 */
export function startupFailureText(error: unknown): StartupFailureText {
  const message = sentence(error instanceof Error ? error.message : String(error));
  if (error instanceof DormouseError && error.code === 'SCHEMA_TOO_NEW') {
    return { title, content: `This catalog was written by a newer Dormouse.\n\n${message}` };
  }
  if (/database is locked|SQLITE_BUSY/i.test(message)) {
    return { title, content: `Another program is holding Dormouse's catalog.\n\n${message}\n\nQuit the other Dormouse (the tray app, a daemon or a command still running) and start Dormouse again.` };
  }
  if (error instanceof DormouseError && error.code === 'DATABASE_UNREADABLE') {
    return { title, content: `Dormouse cannot open its catalog.\n\n${message}` };
  }
  if (/NODE_MODULE_VERSION|better_sqlite3\.node/.test(message)) {
    return {
      title,
      content: `Dormouse's SQLite module was built for another runtime.\n\n${message}\n\nIn a development checkout, start the app with npm start, which builds the copy for Electron (build/scripts/electron-sqlite.mjs); a packaged Dormouse should be installed again.`,
    };
  }
  return { title, content: `Something went wrong while starting.\n\n${message}\n\nStart Dormouse again; if this keeps happening, run dormouse status in a terminal to see the catalog's state.` };
}

/** Shows why start-up failed in a native dialog (there is no window or tray menu to say it in), then exits at once: quitting would wait on a scheduler host that never started. */
export function showStartupFailure(error: unknown): void {
  const text = startupFailureText(error);
  console.error(`dormouse: ${text.content.replace(/\n+/g, ' ')}`);
  dialog.showErrorBox(text.title, text.content);
  app.exit(1);
}
