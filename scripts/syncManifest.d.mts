// Types of scripts/syncManifest.mjs for the unit test that imports it.
export interface ManifestChange {
  file: string;
  field: string;
  have: unknown;
  want: unknown;
}
export function manifestChanges(root: string): Promise<{ changes: ManifestChange[]; files: Record<string, unknown> }>;
export function syncManifest(root?: string): Promise<{ changes: ManifestChange[]; files: Record<string, unknown> }>;
