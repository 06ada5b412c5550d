/**
 * The counters of /proc/net/netstat and /proc/net/snmp (both per network namespace): each section
 * is a header line of field names, then a line of values, both starting with the section's name.
 */

/** The value of `field` in `section` (e.g. "TcpExt:", "Udp:"); undefined when the section or field is absent. */
export function procNetCounter(text: string, section: string, field: string): number | undefined {
  const lines = text.split("\n").filter((line) => line.startsWith(`${section} `));
  const names = lines[0]?.split(/\s+/) ?? [];
  const values = lines[1]?.split(/\s+/) ?? [];
  const index = names.indexOf(field);
  const value = index > 0 ? Number(values[index]) : NaN;
  return Number.isInteger(value) ? value : undefined;
}
