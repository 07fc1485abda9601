/**
 * A copy of a key that owns its characters. Parsed fields can be slices of a longer string (a line); a slice kept in
 * a Set would keep that whole string alive, so memory would grow with the rows scanned, not the images selected.
 */
export function ownString(s: string): string {
  return s.length < 13 ? s : (' ' + s).slice(1);
}
