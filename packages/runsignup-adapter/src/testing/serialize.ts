/**
 * The fake's data in RunSignUp's JSON shapes: race and event fields as wall-clock strings
 * (events in the race's zone, everything else US Eastern), `"T"`/`"F"` flags, `"$x.xx"` money,
 * epoch `last_modified` on active rows and Eastern strings plus `last_modified_ts` on removed ones.
 */
import { EASTERN, formatIsoDateTime, formatSlashDate, formatSlashDateTime } from "../time.js";
import type { FakeEvent, FakeRace, FakeRegistration, FakeRemoval } from "./dataset.js";

function eventJson(race: FakeRace, e: FakeEvent): Record<string, unknown> {
  const opens = e.startsAt.getTime() - 150 * 86_400_000;
  return {
    event_id: e.eventId,
    race_event_days_id: e.raceEventDaysId,
    name: e.name,
    details: null,
    start_time: formatSlashDateTime(e.startsAt.getTime(), race.timezone),
    end_time: e.endsAt === null ? null : formatSlashDateTime(e.endsAt.getTime(), race.timezone),
    registration_opens: formatSlashDateTime(opens, race.timezone),
    event_type: "running_race",
    distance: e.distance,
    volunteer: "F",
    require_dob: "T",
    require_phone: "F",
    registration_periods: [
      {
        registration_opens: formatSlashDateTime(opens, race.timezone),
        registration_closes: formatSlashDateTime(e.startsAt.getTime() - 3_600_000, race.timezone),
        race_fee: "$40.00",
        processing_fee: "$3.80",
      },
    ],
    giveaway: null,
  };
}

/** A race object; `events` only when asked (`events=T` on the list, always on Get Race). */
export function raceJson(race: FakeRace, withEvents: boolean): Record<string, unknown> {
  const starts = race.events.map((e) => e.startsAt.getTime()).sort((a, b) => a - b);
  const next = starts[0];
  const out: Record<string, unknown> = {
    race_id: race.raceId,
    name: race.name,
    last_date: null,
    last_end_date: null,
    next_date: next === undefined ? null : formatSlashDate(next, race.timezone),
    next_end_date: next === undefined ? null : formatSlashDate(starts.at(-1)!, race.timezone),
    is_draft_race: "F",
    is_private_race: "F",
    is_registration_open: "T",
    created: formatSlashDateTime(race.createdAt.getTime(), EASTERN),
    last_modified: formatSlashDateTime(race.modifiedAt.getTime(), EASTERN),
    description: `<p>${race.name}</p>\r\n`,
    url: `https://runsignup.com/Race/${race.state}/Springfield/Race${race.raceId}`,
    external_race_url: null,
    external_results_url: null,
    fb_page_id: null,
    fb_event_id: null,
    address: { street: "1 Park Road", city: race.city, state: race.state, zipcode: "80007", country_code: "US" },
    timezone: race.timezone,
    logo_url: null,
    real_time_notifications_enabled: "F",
  };
  if (withEvents) out.events = race.events.map((e) => eventJson(race, e));
  return out;
}

function userJson(r: FakeRegistration): Record<string, unknown> {
  return {
    user_id: r.userId,
    first_name: r.firstName,
    middle_name: r.middleName,
    last_name: r.lastName,
    email: r.email,
    address: { street: r.street, city: r.city, state: r.state, zipcode: r.zipcode, country_code: "US" },
    dob: r.dob,
    gender: r.gender,
    phone: r.phone,
    profile_image_url: null,
  };
}

function fees(r: FakeRegistration): Record<string, unknown> {
  return {
    imported: r.imported ? "T" : "F",
    race_fee: r.raceFee,
    offline_payment_amount: "$0.00",
    processing_fee: "$3.80",
    processing_fee_paid_by_user: "$3.80",
    processing_fee_paid_by_race: "$0.00",
    partner_fee: "$0.00",
    affiliate_profit: "$0.00",
    extra_fees: "$0.00",
    amount_paid: r.raceFee,
  };
}

/** An active participant row, as `GET /race/:id/participants` sends it. */
export function participantJson(r: FakeRegistration, withQuestions: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {
    user: userJson(r),
    registration_id: r.registrationId,
    event_id: r.eventId,
    bib_num: r.bib,
    chip_num: r.chip,
    age: r.age,
    registration_date: formatSlashDateTime(r.registeredAt.getTime(), EASTERN),
    last_modified: r.modifiedAt,
    rsu_transaction_id: 70_000_000 + r.registrationId,
    transaction_id: `tx_${r.registrationId}`,
    team_id: r.teamId,
    team_name: r.teamName,
    team_type_id: r.teamId === null ? null : 1,
    team_type: r.teamId === null ? null : "Club",
    team_gender: null,
    team_bib_num: null,
    ...fees(r),
  };
  if (withQuestions) {
    out.question_responses = r.answers.map((a) => ({ question_id: String(a.questionId), question_text: a.text, response: a.response }));
  }
  return out;
}

/** A removed-participants row: Eastern date strings, the epoch in `last_modified_ts`. */
export function removedJson(removal: FakeRemoval): Record<string, unknown> {
  const r = removal.registration;
  return {
    user: userJson(r),
    registration_id: r.registrationId,
    age: r.age,
    registration_date: formatIsoDateTime(r.registeredAt.getTime(), EASTERN),
    last_modified: formatIsoDateTime(removal.modifiedAt * 1000, EASTERN),
    last_modified_ts: removal.modifiedAt,
    ...fees(r),
    removed_reason: removal.reason,
    new_registration_id: removal.newRegistrationId,
  };
}
