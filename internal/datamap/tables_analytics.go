package datamap

// Retention of analytics data, as people read it.
const (
	eventsKept   = "13 months by default (--analytics-retention), then folded into daily statistics that count no one under 5 people, and deleted; a member can unlink an event from their history at any time"
	securityKept = "7 days by default (--security-log-days), then deleted"
	pauseKept    = "until the member resumes their history, or the account is erased"
)

// unlinked is the erasure of an event's column that stays, once the event
// is no longer linked to anyone, as part of anonymous counts.
func unlinked(column string) Erasure { return Erasure{Action: Anonymise, Value: column} }

// event declares a column of analytics_events.
func event(name string, cat Category, erasure Erasure, why string) Column {
	return Column{Name: name, Category: cat, Purposes: []Purpose{Analytics}, Visibility: Private,
		Retention: eventsKept + "; " + why, Export: export, Erasure: erasure}
}

// analyticsTables declares the first-party analytics: raw events, the
// security log, the daily statistics and the listening history setting.
var analyticsTables = []Table{
	{
		Name: "analytics_events",
		About: "First-party events: page views, plays, downloads, searches, favourites, follows and shares, with the referring host, the browser family, system and device type parsed from the User-Agent (not kept), the network truncated to /24 or /48 and, when the site has a GeoIP database file, the country of the address. " +
			"An event carries the member's id or a visitor's random id only with analytics consent (and never with Global Privacy Control); without it the event is only counted, with no identifier and no search words. A member's events are their listening history. Erasure, or deleting an entry from the history, unlinks the event and clears its details; it still counts, anonymously.",
		Owner: ofMember, Rows: UpdateRows, Order: 10,
		Columns: []Column{
			notPersonal("id", "the event's number"),
			event("occurred_at", MediaPlays, unlinked("occurred_at"), "once unlinked, a time alone points at no one"),
			event("kind", MediaPlays, unlinked("kind"), "once unlinked, what was done points at no one"),
			event("track_id", MediaPlays, unlinked("track_id"), "the track played, downloaded or viewed"),
			event("album_id", MediaPlays, unlinked("album_id"), "the album of the track or page"),
			event("artist_id", MediaPlays, unlinked("artist_id"), "the artist of the track or page"),
			event("path", Browsing, unlinked("path"), "the page viewed, without its query string"),
			event("query", Browsing, Erasure{Action: Delete, Value: "''"}, "the words searched for, kept only with analytics consent"),
			event("results", Browsing, unlinked("results"), "how many results a search found"),
			event("referrer_host", Browsing, Erasure{Action: Delete, Value: "''"}, "the host of the page that linked here, nothing more"),
			event("browser", DeviceType, Erasure{Action: Delete, Value: "''"}, "the browser family"),
			event("os", DeviceType, Erasure{Action: Delete, Value: "''"}, "the operating system"),
			event("device", DeviceType, Erasure{Action: Delete, Value: "''"}, "desktop, mobile, tablet or bot"),
			event("network", IPAddress, Erasure{Action: Delete, Value: "''"}, "the address cut to its /24 (IPv4) or /48 (IPv6)"),
			event("country", Location, Erasure{Action: Delete, Value: "''"}, "the country of the address (a two-letter code, nothing finer), only when the site has a GeoIP database (--geoip): it is looked up in that file on the site's own server as the event is recorded, no one else is asked, and the full address is not kept for it"),
			{Name: "member_id", Category: UniqueID, MemberRef: true, Purposes: []Purpose{Analytics}, Visibility: Private,
				Retention: eventsKept + "; set only with analytics consent, and not while the member's history is paused; withdrawing the consent unlinks every event",
				Export:    NotExported("the account's number; the events themselves are exported"), Erasure: Erasure{Action: Delete, Value: "NULL"}},
			{Name: "visitor_id", Category: Pseudonym, Purposes: []Purpose{Analytics}, Visibility: Private,
				Retention: eventsKept + "; a random id in a cookie set only after consent",
				Export:    NotExported("a visitor's random id; a member's events have none"), Erasure: Erasure{Action: Delete, Value: "''"}},
		},
	},
	{
		Name:  "security_log",
		About: "The full IP address of each recorded request, for security only: never used for statistics, kept a few days.",
		Owner: ofMember, Rows: DeleteRows, Order: 10,
		Columns: []Column{
			notPersonal("id", "the entry's number"),
			{Name: "occurred_at", Category: Browsing, Purposes: []Purpose{Security}, Visibility: Private,
				Retention: securityKept, Export: export, Erasure: deleted},
			{Name: "ip", Category: IPAddress, Purposes: []Purpose{Security}, Visibility: Private,
				Retention: securityKept, Export: export, Erasure: deleted},
			{Name: "member_id", Category: UniqueID, MemberRef: true, Purposes: []Purpose{Security}, Visibility: Private,
				Retention: securityKept, Export: NotExported("the account's number"), Erasure: deleted},
		},
	},
	{
		Name:  "analytics_daily",
		About: "Daily statistics per track, album, artist and the whole site: page views, plays, distinct listeners, downloads, favourites, and breakdowns by device type, browser, referring host and country in which any value seen by fewer than 5 people is merged into \"other\".",
		Rows:  NoRows,
		Columns: []Column{
			notPersonal("subject_kind", "track, album, artist or site"),
			notPersonal("subject_id", "the number of the track, album or artist"),
			notPersonal("dimension", "which breakdown"),
			notPersonal("day", "a date"),
			notPersonal("value", "a device type, browser, host or country seen by at least 5 people, or \"other\""),
			notPersonal("views", "a count over at least 5 people or a whole day"),
			notPersonal("plays", "a count"),
			notPersonal("listeners", "a count"),
			notPersonal("downloads", "a count"),
			notPersonal("favourites", "a count"),
		},
	},
	{
		Name:  "analytics_period_totals",
		About: "Each track's, album's and artist's totals over the periods the dashboards and charts show, summed from the daily statistics: page views, plays, listener-days, downloads, favourites.",
		Rows:  NoRows,
		Columns: []Column{
			notPersonal("from_day", "a date"),
			notPersonal("to_day", "a date"),
			notPersonal("subject_kind", "track, album or artist"),
			notPersonal("subject_id", "the number of the track, album or artist"),
			notPersonal("views", "a sum of daily counts"),
			notPersonal("plays", "a sum of daily counts"),
			notPersonal("listeners", "a sum of daily counts"),
			notPersonal("downloads", "a sum of daily counts"),
			notPersonal("favourites", "a sum of daily counts"),
		},
	},
	{
		Name:  "analytics_period_windows",
		About: "The periods whose totals are being summed, or complete and current.",
		Rows:  NoRows,
		Columns: []Column{
			notPersonal("from_day", "a date"),
			notPersonal("to_day", "a date"),
			notPersonal("complete", "whether the totals are complete"),
			notPersonal("generation", "how many times a day of the period was rolled up again"),
			notPersonal("computed_at", "when the totals were summed"),
		},
	},
	{
		Name:  "analytics_rollups",
		About: "The days already folded into the daily statistics.",
		Rows:  NoRows,
		Columns: []Column{
			notPersonal("day", "a date"),
			notPersonal("rolled_at", "when it was folded"),
		},
	},
	{
		Name:  "history_pauses",
		About: "Members who paused their listening history: while paused, nothing new is linked to them.",
		Owner: ofMember, Rows: DeleteRows, Order: 10,
		Columns: []Column{
			memberRef("member_id"),
			{Name: "paused_at", Category: AccountSettings, Purposes: []Purpose{Analytics}, Visibility: Private,
				Retention: pauseKept, Export: export, Erasure: deleted},
		},
	},
}
