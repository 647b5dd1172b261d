/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value)
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

function zoneName(instant: Date, timeZone: string): string {
  // en-US knows American abbreviations (MDT), en-GB European ones (BST); elsewhere keep the offset.
  const names = ["en-US", "en-GB"].map(
    (locale) =>
      new Intl.DateTimeFormat(locale, { timeZone, timeZoneName: "short" }).formatToParts(instant).find((p) => p.type === "timeZoneName")
        ?.value ?? "",
  );
  return names.find((n) => /^[A-Z]{2,5}$/.test(n)) ?? names[0] ?? timeZone;
}

/**
 * A start instant as a race director reads it: the wall-clock time in the race's own zone, with
 * the zone's abbreviation (`Sat 13 Jun, 08:30 MDT`). An unknown zone falls back to UTC rather
 * than failing the whole page.
 */
export function formatInZone(instant: Date, timeZone: string): string {
  const options: Intl.DateTimeFormatOptions = {
    weekday: "short",
    day: "numeric",
    month: "short",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  };
  let zone = timeZone;
  try {
    new Intl.DateTimeFormat("en-GB", { timeZone });
  } catch {
    zone = "UTC";
  }
  return `${new Intl.DateTimeFormat("en-GB", { ...options, timeZone: zone }).format(instant)} ${zoneName(instant, zone)}`;
}
