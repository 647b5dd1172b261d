import type { Registration } from "@project88/core";

export const PROVIDER = "runsignup";
export const RACE_ID = "85675";
export const EVENT_IDS = ["701001", "701002", "701003", "701004"];

const FIRST = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Ken", "Margaret", "Linus", "Frances", "Dennis"];
const LAST = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Thompson", "Hamilton", "Torvalds", "Allen", "Ritchie"];
const CITIES: [string, string][] = [
  ["Boulder", "CO"],
  ["Denver", "CO"],
  ["Austin", "TX"],
  ["Portland", "OR"],
  ["Madison", "WI"],
];

/** The provider's participant row as RunSignUp sends it (about 1.5 KB of JSON). */
function rawParticipant(i: number, eventId: string, modified: number, bib: string | null): Record<string, unknown> {
  const [city, state] = CITIES[i % CITIES.length]!;
  return {
    registration_id: 10_000_000 + i,
    event_id: Number(eventId),
    rsu_transaction_id: 50_000_000 + i,
    transaction_id: String(60_000_000 + i),
    bib_num: bib,
    chip_num: null,
    age: 20 + (i % 50),
    registration_date: "10/21/2025 11:25",
    team_id: null,
    team_name: i % 7 === 0 ? `Team ${i % 97}` : null,
    team_type_id: null,
    team_type: null,
    team_bib_num: null,
    last_modified: Math.floor(modified / 1000),
    imported: "F",
    race_fee: "$45.00",
    offline_payment_amount: "$0.00",
    processing_fee: "$3.75",
    processing_fee_paid_by_user: "$3.75",
    processing_fee_paid_by_race: "$0.00",
    partner_fee: "$0.75",
    affiliate_profit: "$0.00",
    extra_fees: "$0.00",
    amount_paid: "$48.75",
    usatf_discount_amount_in_cents: "$0.00",
    usatf_discount_additional_field: null,
    giveaway: ["XS", "S", "M", "L", "XL"][i % 5],
    giveaway_option_id: 1 + (i % 5),
    user: {
      user_id: 2_000_000 + i,
      first_name: FIRST[i % FIRST.length],
      middle_name: null,
      last_name: `${LAST[(i * 7) % LAST.length]}${i}`,
      email: `runner${i}@example.test`,
      address: { street: `${100 + (i % 900)} Main St`, city, state, zipcode: String(80_000 + (i % 999)), country_code: "US" },
      dob: `${1960 + (i % 45)}-0${1 + (i % 9)}-1${i % 10}`,
      gender: i % 2 === 0 ? "F" : "M",
      phone: `303-555-${String(i % 10_000).padStart(4, "0")}`,
      profile_image_url: null,
    },
    question_responses: [
      { question_id: "1", question_text: "Is this your first road race?", response: i % 3 === 0 ? "Yes" : "No" },
      { question_id: "2", question_text: "Emergency Contact Name", response: "Pat Doe" },
      { question_id: "3", question_text: "Emergency Contact Phone", response: "303-555-0100" },
      { question_id: "4", question_text: "How did you hear about this race?", response: "A friend told me about it at the track" },
      { question_id: "5", question_text: "Estimated finish time for corral placement", response: "1:45:00" },
    ],
    waivers: [{ waiver_id: 1, accepted: "T", accepted_at: "10/21/2025 11:24", signature_name: `${FIRST[i % FIRST.length]} Doe` }],
  };
}

/** One normalised registration with its raw row; `version` bumps modification and bib. */
export function makeRegistration(i: number, version = 0): Registration {
  const eventId = EVENT_IDS[i % EVENT_IDS.length]!;
  const modified = Date.UTC(2026, 0, 10) + i * 1000 + version * 86_400_000;
  const bib = version === 0 ? null : String(1000 + i);
  const raw = rawParticipant(i, eventId, modified, bib);
  const user = raw.user as {
    first_name: string;
    last_name: string;
    email: string;
    dob: string;
    gender: string;
    phone: string;
    address: { city: string; state: string };
  };
  return {
    provider: PROVIDER,
    registrationId: String(raw.registration_id),
    raceId: RACE_ID,
    eventId,
    userId: String(2_000_000 + i),
    firstName: user.first_name,
    lastName: user.last_name,
    gender: user.gender,
    dob: user.dob,
    age: raw.age as number,
    bib,
    chip: null,
    email: user.email,
    phone: user.phone,
    city: user.address.city,
    state: user.address.state,
    country: "US",
    teamName: raw.team_name as string | null,
    registeredAt: new Date(Date.UTC(2025, 9, 21, 15, 25)),
    modifiedAt: new Date(modified),
    raw,
  };
}

/** Splits rows into pages of `size`. */
export function pages<T>(rows: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}
