// Electron main process entry. Thin on purpose: the gateway is plain Node (main/gateway) and is
// hosted here in-process; the tray, windows and IPC arrive with the Electron shell issue.
import { app } from 'electron';

app.whenReady().then(() => {
  // The shell (tray, window, gateway hosting) is wired in a later issue.
});
