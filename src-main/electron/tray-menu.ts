import { Menu, nativeImage, type MenuItemConstructorOptions, type Tray } from 'electron';
import { join } from 'node:path';
import type { TrayAction, TrayIcon, TrayMenuItem, TrayModel } from '../desktop/tray-model';

/** Turns the tested menu model into Electron's template, each click carrying its action out. */
export function menuTemplate(items: readonly TrayMenuItem[], act: (action: TrayAction) => void): MenuItemConstructorOptions[] {
  return items.map((item): MenuItemConstructorOptions => {
    if (item.type === 'separator') return { type: 'separator' };
    const action = item.action;
    return {
      label: item.label,
      enabled: item.enabled,
      ...(item.submenu ? { submenu: menuTemplate(item.submenu, act) } : {}),
      ...(action ? { click: () => act(action) } : {}),
    };
  });
}

/** The icon file for a state: template images on macOS (the menu bar tints them), colour elsewhere. */
export function trayIconPath(iconsFolder: string, icon: TrayIcon, platform: NodeJS.Platform = process.platform): string {
  return join(iconsFolder, platform === 'darwin' ? `tray-${icon}Template.png` : `tray-${icon}.png`);
}

/** What each tray last showed, to set only what changed. */
const shown = new WeakMap<Tray, { icon: string; tooltip: string; menu: string }>();

/**
 * Shows a tray model: icon, tooltip and menu, each set only when it differs from what the tray shows.
 * Setting a menu on Linux (AppIndicator) closes the one the person has open and flickers the icon,
 * so a model that did not change touches nothing.
 */
export function showTrayModel(tray: Tray, model: TrayModel, iconsFolder: string, act: (action: TrayAction) => void): void {
  const before = shown.get(tray);
  const now = { icon: trayIconPath(iconsFolder, model.icon), tooltip: model.tooltip, menu: JSON.stringify(model.menu) };
  if (now.icon !== before?.icon) tray.setImage(nativeImage.createFromPath(now.icon));
  if (now.tooltip !== before?.tooltip) tray.setToolTip(now.tooltip);
  if (now.menu !== before?.menu) tray.setContextMenu(Menu.buildFromTemplate(menuTemplate(model.menu, act)));
  shown.set(tray, now);
}
