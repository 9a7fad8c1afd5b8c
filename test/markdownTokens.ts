// Shared by the unit, integration and UI tests that check what Markdown a string from a file becomes.
import { marked, type Token } from 'marked';

/** Every token marked (VS Code's Markdown renderer) makes of `md`, depth first, table cells and list items included. */
export function markdownTokens(md: string): Token[] {
  const out: Token[] = [];
  const walk = (ts: Token[]): void => {
    for (const t of ts) {
      out.push(t);
      const inner = (t as { tokens?: Token[] }).tokens;
      if (inner) walk(inner);
      for (const row of (t as { rows?: Array<Array<{ tokens: Token[] }>> }).rows ?? []) for (const cell of row) walk(cell.tokens);
      for (const cell of (t as { header?: Array<{ tokens: Token[] }> }).header ?? []) walk(cell.tokens);
      for (const item of (t as { items?: Array<{ tokens: Token[] }> }).items ?? []) walk(item.tokens);
    }
  };
  walk(marked.lexer(md));
  return out;
}
