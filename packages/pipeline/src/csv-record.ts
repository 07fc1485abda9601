/**
 * Split one RFC 4180 CSV record (quotes doubled inside quoted fields). Used on the few lines a byte-level pre-filter
 * keeps, so a full CSV parser never has to walk the whole multi-hundred-MB file.
 */
export function splitCsvRecord(record: string): string[] {
  const fields: string[] = [];
  let i = 0;
  const n = record.length;
  for (;;) {
    if (record[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        const q = record.indexOf('"', i);
        if (q < 0) {
          value += record.slice(i);
          i = n;
          break;
        }
        value += record.slice(i, q);
        if (record[q + 1] === '"') {
          value += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      fields.push(value);
      const comma = record.indexOf(',', i);
      if (comma < 0) return fields;
      i = comma + 1;
    } else {
      const comma = record.indexOf(',', i);
      if (comma < 0) {
        fields.push(record.slice(i).replace(/\r$/, ''));
        return fields;
      }
      fields.push(record.slice(i, comma));
      i = comma + 1;
    }
  }
}

/** True when the text has an unclosed quoted field (an odd number of quote characters). */
export function hasOpenQuote(text: string): boolean {
  let count = 0;
  for (let i = text.indexOf('"'); i >= 0; i = text.indexOf('"', i + 1)) count++;
  return count % 2 === 1;
}
