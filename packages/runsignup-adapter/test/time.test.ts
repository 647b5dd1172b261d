import { describe, expect, it } from "vitest";
import { formatIsoDateTime, formatSlashDateTime, parseZonedDateTime, slashDateToIso, wallClockToUtc, zoneOffsetMs } from "../src/time.js";

const utc = (text: string, zone: string) => parseZonedDateTime(text, zone)?.toISOString();

describe("wall clock to UTC", () => {
  it("uses the zone's offset for the date, not a fixed one", () => {
    expect(utc("1/15/2026 08:30", "America/Denver")).toBe("2026-01-15T15:30:00.000Z");
    expect(utc("7/15/2026 08:30", "America/Denver")).toBe("2026-07-15T14:30:00.000Z");
    expect(utc("11/18/2017 09:00", "America/Denver")).toBe("2017-11-18T16:00:00.000Z");
    expect(utc("2/10/2023 18:00", "America/New_York")).toBe("2023-02-10T23:00:00.000Z");
    expect(utc("7/1/2026 06:00", "America/Phoenix")).toBe("2026-07-01T13:00:00.000Z");
    expect(utc("7/1/2026 06:00", "Pacific/Honolulu")).toBe("2026-07-01T16:00:00.000Z");
    expect(utc("7/1/2026 06:00", "Europe/London")).toBe("2026-07-01T05:00:00.000Z");
  });

  it("is right on both sides of the spring-forward transition day", () => {
    // 2026-03-08: New York clocks go from 02:00 EST to 03:00 EDT.
    expect(utc("3/8/2026 01:59", "America/New_York")).toBe("2026-03-08T06:59:00.000Z");
    expect(utc("3/8/2026 03:00", "America/New_York")).toBe("2026-03-08T07:00:00.000Z");
    expect(utc("3/8/2026 08:00", "America/New_York")).toBe("2026-03-08T12:00:00.000Z");
    expect(utc("3/7/2026 08:00", "America/New_York")).toBe("2026-03-07T13:00:00.000Z");
    // The skipped hour is read with the offset before the jump: 02:30 EST = 03:30 EDT.
    expect(utc("3/8/2026 02:30", "America/New_York")).toBe("2026-03-08T07:30:00.000Z");
  });

  it("is right on both sides of the fall-back transition day", () => {
    // 2026-11-01: New York clocks go from 02:00 EDT back to 01:00 EST.
    expect(utc("11/1/2026 00:30", "America/New_York")).toBe("2026-11-01T04:30:00.000Z");
    // The repeated hour resolves to its first occurrence (EDT).
    expect(utc("11/1/2026 01:30", "America/New_York")).toBe("2026-11-01T05:30:00.000Z");
    expect(utc("11/1/2026 02:00", "America/New_York")).toBe("2026-11-01T07:00:00.000Z");
    expect(utc("11/1/2026 08:00", "America/New_York")).toBe("2026-11-01T13:00:00.000Z");
    expect(utc("10/31/2026 08:00", "America/New_York")).toBe("2026-10-31T12:00:00.000Z");
  });

  it("reads the removed-participants format with seconds", () => {
    // RunSignUp's own sample pairs this string with last_modified_ts 1632405277.
    expect(parseZonedDateTime("2021-09-23 09:54:37", "America/New_York")?.getTime()).toBe(1632405277 * 1000);
  });

  it("rejects malformed and impossible dates", () => {
    expect(parseZonedDateTime("2/30/2026 10:00", "America/New_York")).toBeNull();
    expect(parseZonedDateTime("tomorrow", "America/New_York")).toBeNull();
    expect(parseZonedDateTime("13/1/2026 10:00", "America/New_York")).toBeNull();
    expect(slashDateToIso("02/25/2022")).toBe("2022-02-25");
    expect(slashDateToIso("2/31/2022")).toBeNull();
  });

  it("round-trips through the formatters across a year in several zones", () => {
    for (const zone of ["America/New_York", "America/Denver", "America/Los_Angeles", "Europe/Berlin"]) {
      for (let t = Date.UTC(2026, 0, 1); t < Date.UTC(2027, 0, 1); t += 3_600_000 * 13 + 60_000) {
        const back = parseZonedDateTime(formatIsoDateTime(t, zone), zone)!.getTime();
        const offsetChangedWithinHour = zoneOffsetMs(t, zone) !== zoneOffsetMs(t - 3_600_000, zone);
        if (!offsetChangedWithinHour) expect(back).toBe(t);
      }
    }
    expect(formatSlashDateTime(Date.UTC(2023, 1, 10, 23), "America/New_York")).toBe("2/10/2023 18:00");
    expect(wallClockToUtc({ year: 2026, month: 6, day: 1, hour: 0, minute: 0 }, "UTC").toISOString()).toBe("2026-06-01T00:00:00.000Z");
  });
});

describe("offset cache", () => {
  it("agrees with a direct Intl lookup minute by minute across both New York transitions", () => {
    const direct = (t: number) => {
      const parts = new Intl.DateTimeFormat("en-US", {
        timeZone: "America/New_York",
        hourCycle: "h23",
        year: "numeric",
        month: "numeric",
        day: "numeric",
        hour: "numeric",
        minute: "numeric",
      }).formatToParts(new Date(t));
      const get = (type: string) => Number(parts.find((p) => p.type === type)!.value);
      return `${get("month")}/${get("day")}/${get("year")} ${String(get("hour")).padStart(2, "0")}:${String(get("minute")).padStart(2, "0")}`;
    };
    for (const start of [Date.UTC(2026, 2, 8, 5), Date.UTC(2026, 10, 1, 4)]) {
      for (let t = start; t < start + 4 * 3_600_000; t += 60_000) {
        expect(formatSlashDateTime(t, "America/New_York")).toBe(direct(t));
      }
    }
  });
});
