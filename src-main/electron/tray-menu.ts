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

/** Shows a tray model: icon, tooltip, and a menu rebuilt with setContextMenu. */
export function showTrayModel(tray: Tray, model: TrayModel, iconsFolder: string, act: (action: TrayAction) => void): void {
  tray.setImage(nativeImage.createFromPath(trayIconPath(iconsFolder, model.icon)));
  tray.setToolTip(model.tooltip);
  tray.setContextMenu(Menu.buildFromTemplate(menuTemplate(model.menu, act)));
}
