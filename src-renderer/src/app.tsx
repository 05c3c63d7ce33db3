/** The settings window's shell; its screens (overview, schedules, destinations, history) arrive with the settings-window issue. */
export function App() {
  return (
    <main className="app">
      <h1>Dormouse</h1>
      <p>Backups for laptops that sleep.</p>
    </main>
  );
}
