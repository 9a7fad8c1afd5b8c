import type { ModelIndex } from './model/modelIndex';

/** `stats` verb: filled in once the runtime lands. */
export async function runStats(_index: ModelIndex, _params: string[], _json: boolean): Promise<number> {
  return 0;
}
