// Vite's `?raw` suffix imports a file's text (the tests read migration SQL this way).
declare module '*?raw' {
  const text: string;
  export default text;
}
