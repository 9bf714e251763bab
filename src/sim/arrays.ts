// Small array helpers for hot paths (no allocation).

/** Removes `array[index]`, keeping the order of the rest; unlike splice, allocates nothing. */
export function removeAt<T>(array: T[], index: number): void {
  if (!(Number.isInteger(index) && index >= 0 && index < array.length))
    throw new RangeError(`removeAt: index ${index} outside [0, ${array.length})`);
  for (let i = index + 1; i < array.length; i++) array[i - 1] = array[i]!;
  array.pop();
}
