/**
 * In-place moves in small arrays. Array.prototype.splice allocates a result array each call,
 * which is measurably slow for the one-element moves made on every message. There is one copy
 * per kind of element on purpose: V8 optimises each function for the arrays it has seen, and a
 * single generic copy fed both object and number arrays turns polymorphic and boxes numbers.
 */

export function insertObjectAt<T extends object>(items: T[], index: number, item: T): void {
  let at = items.length;
  items.push(item);
  while (at > index) {
    items[at] = items[at - 1];
    at--;
  }
  items[index] = item;
}

export function removeObjectAt<T extends object>(items: T[], index: number): void {
  const last = items.length - 1;
  for (let at = index; at < last; at++) items[at] = items[at + 1];
  items.pop();
}

export function moveObjectToEnd<T extends object>(items: T[], index: number): void {
  const item = items[index];
  const last = items.length - 1;
  for (let at = index; at < last; at++) items[at] = items[at + 1];
  items[last] = item;
}

export function insertNumberAt(items: number[], index: number, item: number): void {
  let at = items.length;
  items.push(item);
  while (at > index) {
    items[at] = items[at - 1];
    at--;
  }
  items[index] = item;
}

export function removeNumberAt(items: number[], index: number): void {
  const last = items.length - 1;
  for (let at = index; at < last; at++) items[at] = items[at + 1];
  items.pop();
}

export function moveNumberToEnd(items: number[], index: number): void {
  const item = items[index];
  const last = items.length - 1;
  for (let at = index; at < last; at++) items[at] = items[at + 1];
  items[last] = item;
}
