@echo off
rem The `dormouse` command of a packaged Dormouse (Windows): runs the app's own binary in its CLI
rem mode (--cli), which opens no window, so the CLI and the tray app share one catalog and one native
rem module with no Node installed and the runAsNode fuse off. Add this folder to your PATH.
"%~dp0..\..\Dormouse.exe" --cli %*
exit /b %ERRORLEVEL%
