package datamap

// Retention of the email a member chooses.
const (
	untilDigest      = "until the daily digest holding it is queued (about a day), then deleted"
	unsubscribeKept  = "until the account is erased (a link in an old message keeps working)"
	newsletterLogged = "until the account is erased; the row says only whether their copy was queued or skipped"
)

// newslettersTables declares the email members choose: notification
// preferences, digests, unsubscribe links and newsletters.
var newslettersTables = []Table{
	{
		Name:  "email_preferences",
		About: "Each member's choice per category of email they can turn off: notifications (off, at once, daily digest) and newsletters (on or off). A category without a row has its default: replies and mentions at once, since someone speaks to the member directly; new followers, comments on their music, new releases and moderation decisions as one daily digest, so that mail stays few; newsletters off until the member ticks the box. Messages about the account itself are not affected.",
		Owner: ofMember, Rows: DeleteRows, Order: 10,
		Columns: []Column{
			memberRef("member_id"),
			{Name: "category", Category: AccountSettings, Purposes: []Purpose{ChosenMail}, Visibility: Private,
				Retention: untilErased, Export: export, Erasure: deleted},
			{Name: "delivery", Category: AccountSettings, Purposes: []Purpose{ChosenMail}, Visibility: Private,
				Retention: untilErased, Export: export, Erasure: deleted,
				Why: "Notifications are on by default, at once for replies and mentions and as a daily digest for the rest; newsletters are off until you tick the box."},
			{Name: "updated_at", Category: AccountSettings, Purposes: []Purpose{ChosenMail}, Visibility: Private,
				Retention: untilErased, Export: export, Erasure: deleted},
		},
	},
	{
		Name:  "digest_events",
		About: "Notifications waiting for the member's daily digest; each row is deleted when the digest holding it is queued.",
		Owner: ofMember, Rows: DeleteRows, Order: 10,
		Columns: []Column{
			notPersonal("id", "the row's number"),
			memberRef("member_id"),
			{Name: "category", Category: AccountSettings, Purposes: []Purpose{ChosenMail}, Visibility: Private,
				Retention: untilDigest, Export: export, Erasure: deleted},
			{Name: "subject", Category: Communications, Purposes: []Purpose{ChosenMail}, Visibility: Private,
				Retention: untilDigest, Export: export, Erasure: deleted, Processors: []Processor{SMTPRelay}},
			{Name: "body", Category: Communications, Purposes: []Purpose{ChosenMail}, Visibility: Private,
				Retention: untilDigest, Export: export, Erasure: deleted, Processors: []Processor{SMTPRelay}},
			{Name: "link", Category: Communications, Purposes: []Purpose{ChosenMail}, Visibility: Private,
				Retention: untilDigest, Export: export, Erasure: deleted, Processors: []Processor{SMTPRelay}},
			{Name: "created_at", Category: Communications, Purposes: []Purpose{ChosenMail}, Visibility: Private,
				Retention: untilDigest, Export: export, Erasure: deleted},
		},
	},
	{
		Name:  "unsubscribe_tokens",
		About: "The unsubscribe link of each message a member chose to receive (RFC 2369, RFC 8058): only a SHA-256 of the random token in the link is kept, with what it stops. The link names neither the member nor their address.",
		Owner: ofMember, Rows: DeleteRows, Order: 10,
		Columns: []Column{
			{Name: "token_hash", Category: Credentials, Purposes: []Purpose{ChosenMail}, Visibility: Private,
				Retention: unsubscribeKept, Export: notSecret, Erasure: deleted},
			memberRef("member_id"),
			{Name: "category", Category: AccountSettings, Purposes: []Purpose{ChosenMail}, Visibility: Private,
				Retention: unsubscribeKept, Export: export, Erasure: deleted},
			{Name: "created_at", Category: AccountSettings, Purposes: []Purpose{ChosenMail}, Visibility: Private,
				Retention: unsubscribeKept, Export: export, Erasure: deleted},
		},
	},
	{
		Name:  "newsletters",
		About: "Newsletters written by the site's admins; they name no author and no reader.",
		Rows:  NoRows,
		Columns: []Column{
			notPersonal("id", "the newsletter's number"),
			notPersonal("subject", "written by the site for every subscriber"),
			notPersonal("body", "written by the site for every subscriber"),
			notPersonal("created_at"),
			notPersonal("updated_at"),
			notPersonal("send_started_at"),
		},
	},
	{
		Name:  "newsletter_recipients",
		About: "Which subscribed member each newsletter went to, made when sending starts, so that sending resumes after a restart without sending anyone twice; the send log counts them.",
		Owner: ofMember, Rows: DeleteRows, Order: 10,
		Columns: []Column{
			notPersonal("newsletter_id", "which newsletter"),
			memberRef("member_id"),
			{Name: "status", Category: Communications, Purposes: []Purpose{ChosenMail}, Visibility: Private,
				Retention: newsletterLogged, Export: export, Erasure: deleted},
			notPersonal("outbox_id", "the number of the message in the send log, which is declared there"),
			{Name: "done_at", Category: Communications, Purposes: []Purpose{ChosenMail}, Visibility: Private,
				Retention: newsletterLogged, Export: export, Erasure: deleted},
		},
	},
}
