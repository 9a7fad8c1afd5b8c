/**
 * Milliseconds of CPU this test process has spent (user + system). The "bad input is refused in
 * under a second" checks time our own work with it: the wall clock also counts the time other
 * processes held the two cores, and failed a refusal that took 1.17 s of wall time under load.
 */
export function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}
