/**
 * Malformed-data injection for the fake RunSignUp: rows and races served the way a broken
 * provider would send them (a `dob` of "0000-00-00", an empty `age`, a NUL in a name, no
 * `registration_id`, an id beyond 2^53, a document nested thousands of levels deep), so tests
 * can drive real HTTP into a real store with one bad row among good ones. The dataset itself
 * stays well-formed: edits apply only to what is served, so keyset paging is unchanged.
 */

/** Edits one served JSON object; returns the object to send instead (anything, even not an object). */
export type JsonEdit = (json: Record<string, unknown>) => unknown;

const LITERAL = /"@@fake-literal-(\d+)@@"/g;

/** The served-data edits of one fake; reach it as `dataset.malformed`. */
export class Malformations {
  readonly #participants = new Map<number, JsonEdit>();
  readonly #removed = new Map<number, JsonEdit>();
  readonly #races = new Map<number, JsonEdit>();
  readonly #literals: string[] = [];

  /** Serves this registration's active row through `edit` (a later call replaces the edit). */
  participant(registrationId: number, edit: JsonEdit): this {
    this.#participants.set(registrationId, edit);
    return this;
  }

  /** Serves this registration's removed-participants row through `edit`. */
  removal(registrationId: number, edit: JsonEdit): this {
    this.#removed.set(registrationId, edit);
    return this;
  }

  /** Serves this race (in the list and in Get Race) through `edit`; its `events` are in the object. */
  race(raceId: number, edit: JsonEdit): this {
    this.#races.set(raceId, edit);
    return this;
  }

  /**
   * A placeholder that is sent as the raw JSON `text` in place of the string: an integer
   * beyond 2^53 (`literal("12345678901234567890")`) or nesting no `JSON.stringify` survives.
   */
  literal(text: string): string {
    this.#literals.push(text);
    return `@@fake-literal-${this.#literals.length - 1}@@`;
  }

  /** Drops every edit. */
  clear(): this {
    this.#participants.clear();
    this.#removed.clear();
    this.#races.clear();
    return this;
  }

  /** @internal The served participant row. */
  applyParticipant(registrationId: number, json: Record<string, unknown>): unknown {
    const edit = this.#participants.get(registrationId);
    return edit === undefined ? json : edit(json);
  }

  /** @internal The served removed-participants row. */
  applyRemoval(registrationId: number, json: Record<string, unknown>): unknown {
    const edit = this.#removed.get(registrationId);
    return edit === undefined ? json : edit(json);
  }

  /** @internal The served race. */
  applyRace(raceId: number, json: Record<string, unknown>): unknown {
    const edit = this.#races.get(raceId);
    return edit === undefined ? json : edit(json);
  }

  /** @internal The body text with every literal placeholder replaced; null when the body has none. */
  render(body: unknown): string | null {
    if (this.#literals.length === 0) return null;
    const text = JSON.stringify(body);
    if (!text.includes("@@fake-literal-")) return null;
    return text.replace(LITERAL, (_, i: string) => this.#literals[Number(i)] ?? "null");
  }
}
