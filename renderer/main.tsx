import { createRoot } from 'react-dom/client';

function App() {
  return <h1>Clawdbot</h1>;
}

createRoot(document.getElementById('root') as HTMLElement).render(<App />);
