import { useCallback, useEffect, useRef, useState } from 'react';
import type { DormouseEvent } from '../../shared/contract';
import { preloadMissing, preloadMissingMessage } from './bridge';
import { useEngineEvents } from './use-engine';
import { OverviewScreen } from './screens/overview';
import { SchedulesScreen } from './screens/schedules';
import { DestinationsScreen } from './screens/destinations';
import { HistoryScreen } from './screens/history';
import { SettingsScreen } from './screens/settings';
import { RestoreScreen } from './screens/restore';
import { SetupScreen } from './screens/setup';
import { call } from './bridge';

export type Screen = 'overview' | 'schedules' | 'destinations' | 'history' | 'settings' | 'restore' | 'setup';

const screens: { id: Screen; label: string }[] = [
  { id: 'overview', label: 'Overview' },
  { id: 'schedules', label: 'Schedules' },
  { id: 'destinations', label: 'Destinations' },
  { id: 'history', label: 'History' },
  { id: 'restore', label: 'Restore' },
  { id: 'settings', label: 'Settings' },
];

/** The settings window: a navigation rail and one screen at a time. */
export function App() {
  const [screen, setScreen] = useState<Screen>('overview');
  const [jobId, setJobId] = useState<number | null>(null);
  const moved = useRef(false);
  const navigate = useCallback((target: Screen, job?: number) => {
    moved.current = true;
    setScreen(target);
    setJobId(job ?? null);
  }, []);
  // First run (no destination, no schedule): the window opens on the setup, unless the person already went elsewhere.
  useEffect(() => {
    if (preloadMissing) return;
    void Promise.all([call('destinations:list', {}), call('schedules:list', {})]).then(
      ([destinations, schedules]) => destinations.length === 0 && schedules.length === 0 && !moved.current && setScreen('setup'),
      () => undefined,
    );
  }, []);
  useEngineEvents(
    useCallback(
      (event: DormouseEvent) => {
        if (event.type !== 'navigate') return;
        if (event.payload.screen === 'job') navigate('history', event.payload.jobId);
        else navigate(event.payload.screen);
      },
      [navigate],
    ),
  );
  return (
    <div className="app">
      <nav className="rail" aria-label="Dormouse">
        <h1>Dormouse</h1>
        <ul>
          {screens.map((item) => (
            <li key={item.id}>
              <button type="button" className={screen === item.id ? 'current' : ''} aria-current={screen === item.id ? 'page' : undefined} onClick={() => navigate(item.id)}>
                {item.label}
              </button>
            </li>
          ))}
        </ul>
      </nav>
      <main className="screen">
        {preloadMissing && (
          <p className="error" role="alert">
            {preloadMissingMessage}
          </p>
        )}
        {screen === 'overview' && <OverviewScreen navigate={navigate} />}
        {screen === 'schedules' && <SchedulesScreen navigate={navigate} />}
        {screen === 'destinations' && <DestinationsScreen />}
        {screen === 'history' && <HistoryScreen initialJobId={jobId} />}
        {screen === 'restore' && <RestoreScreen />}
        {screen === 'settings' && <SettingsScreen />}
        {screen === 'setup' && <SetupScreen navigate={navigate} />}
      </main>
    </div>
  );
}
