import { readAnyValue, type Scalar } from './otlpValues.js';

/** One value to look for: the attribute names tried in order (first present wins). */
export interface AttributeSlot {
  readonly name: string;
  readonly attributeNames: readonly string[];
}

const ABSENT: Scalar = { kind: 'absent' };

/**
 * Finds, in one pass over an OTLP attribute list, the value of each slot: for
 * every slot the present attribute whose name comes first in that slot's list.
 *
 * @remarks One map lookup per attribute, independent of how many names are
 * configured, so a long dialect list costs nothing per span.
 */
export class AttributeResolver {
  private readonly index = new Map<string, { slot: number; rank: number }[]>();
  readonly slotNames: readonly string[];

  constructor(slots: readonly AttributeSlot[]) {
    this.slotNames = slots.map((s) => s.name);
    slots.forEach((slot, slotIndex) => {
      slot.attributeNames.forEach((attributeName, rank) => {
        const entries = this.index.get(attributeName) ?? [];
        if (!entries.some((e) => e.slot === slotIndex)) entries.push({ slot: slotIndex, rank });
        this.index.set(attributeName, entries);
      });
    });
  }

  /** Slot position by name; throws on an unknown name (a programming error, not data). */
  slot(name: string): number {
    const i = this.slotNames.indexOf(name);
    if (i < 0) throw new Error(`unknown attribute slot: ${name}`);
    return i;
  }

  /** Values per slot (`absent` where no listed attribute is present) from a `KeyValue[]`. */
  resolve(attributes: readonly unknown[]): Scalar[] {
    const values: Scalar[] = new Array<Scalar>(this.slotNames.length);
    this.resolveInto(attributes, values, new Array<number>(this.slotNames.length));
    return values;
  }

  /**
   * Allocation-light {@link resolve} for hot paths: fills caller-owned
   * `values` (and scratch `ranks`), both at least `slotNames.length` long.
   */
  resolveInto(attributes: readonly unknown[], values: Scalar[], ranks: number[]): void {
    const slots = this.slotNames.length;
    for (let i = 0; i < slots; i++) {
      values[i] = ABSENT;
      ranks[i] = Number.MAX_SAFE_INTEGER;
    }
    for (let a = 0; a < attributes.length; a++) {
      const record = attributes[a] as Record<string, unknown> | null | undefined;
      if (record === null || typeof record !== 'object') continue;
      const key = record['key'];
      if (typeof key !== 'string') continue;
      const entries = this.index.get(key);
      if (entries === undefined) continue;
      const value = readAnyValue(record['value']);
      if (value.kind === 'absent') continue;
      for (let e = 0; e < entries.length; e++) {
        const { slot, rank } = entries[e]!;
        if (rank < ranks[slot]!) {
          ranks[slot] = rank;
          values[slot] = value;
        }
      }
    }
  }
}
