package datamap

// Purposes of the enquiries inbox, legal requests and the access log.
const (
	// "To respond to you about any comment or enquiry you have submitted" (§2).
	Answer Purpose = "answer your comments, enquiries and requests about your data"
	// Proving compliance (GDPR Art. 5(2)): how requests about data were
	// answered, what was disclosed to authorities, and who on the staff
	// saw a member's private data and why.
	Accountability Purpose = "prove that the site kept the law: how requests about data were answered, what authorities received, and who on the staff saw your data and why"
)

// Retention and erasure of the records that prove compliance.
const (
	proofKept = "3 years after the request or access, as proof of compliance"
)

// keptAsProof keeps a value under the accountability principle: a
// controller must be able to demonstrate compliance (GDPR Art. 5(2)), and
// may keep what it needs for that after erasure (GDPR Art. 17(3)(b), (e)).
var keptAsProof = Erasure{Action: Keep, Obligation: "GDPR Art. 5(2) accountability: proof of how requests were answered and of staff access to personal data (Art. 17(3)(b), (e))", Period: "3 years"}

// requestsTables declares the enquiries inbox, legal requests from
// authorities, and the access log.
var requestsTables = []Table{
	{
		Name: "requests",
		About: "The enquiries inbox: comments, enquiries and data-subject requests (GDPR Arts. 15-21) sent through the contact form, with the legal deadline of each data-subject request (one month, GDPR Art. 12(3)). " +
			"Kept after erasure of the account as proof of how each was answered.",
		Owner: ofMember, Rows: UpdateRows, Order: 20,
		Columns: []Column{
			notPersonal("id", "the request's number"),
			notPersonal("reference", "a random reference quoted in messages"),
			{Name: "kind", Category: Communications, Purposes: []Purpose{Answer, Accountability}, Mandatory: "writing to us", Visibility: Private,
				Retention: proofKept, Export: export, Erasure: keptAsProof},
			{Name: "status", Category: Communications, Purposes: []Purpose{Answer, Accountability}, Mandatory: "writing to us", Visibility: Private,
				Retention: proofKept, Export: export, Erasure: keptAsProof},
			{Name: "member_id", Category: UniqueID, MemberRef: true, Purposes: []Purpose{Answer}, Visibility: Private,
				Retention: "until the account is erased (the database then forgets the link)", Export: NotExported("an internal number; the row itself is exported"), Erasure: keptAsProof},
			{Name: "email", Category: Email, Purposes: []Purpose{Answer}, Mandatory: "writing to us", Visibility: Private,
				Retention: proofKept, Export: export, Erasure: keptAsProof, Processors: []Processor{SMTPRelay},
				Why: "Needed to answer you. We use it for nothing else."},
			{Name: "name", Category: Name, Purposes: []Purpose{Answer}, Visibility: Private,
				Retention: proofKept, Export: export, Erasure: keptAsProof,
				Why: "How we should address you in our answer."},
			{Name: "subject", Category: Communications, Purposes: []Purpose{Answer}, Visibility: Private,
				Retention: proofKept, Export: export, Erasure: keptAsProof},
			{Name: "body", Category: Communications, Purposes: []Purpose{Answer}, Mandatory: "writing to us", Visibility: Private,
				Retention: proofKept, Export: export, Erasure: keptAsProof,
				Why: "What you want to tell or ask us."},
			{Name: "received_at", Category: Communications, Purposes: []Purpose{Answer, Accountability}, Mandatory: "writing to us", Visibility: Private,
				Retention: proofKept, Export: export, Erasure: keptAsProof},
			notPersonal("due_at", "the legal deadline, computed from received_at"),
			notPersonal("extended", "the staff's note of an extension of the deadline (GDPR Art. 12(3))"),
			notPersonal("updated_at", "when the request last changed"),
		},
	},
	{
		Name:  "request_events",
		About: "The history of each request, append-only: the requester's message, replies sent, internal notes and status changes.",
		Owner: Owner{Where: "request_id IN (SELECT id FROM requests WHERE member_id = ?)"}, Rows: UpdateRows, Order: 10,
		Columns: []Column{
			notPersonal("id", "the event's number"),
			notPersonal("request_id", "the request's number"),
			{Name: "type", Category: Communications, Purposes: []Purpose{Answer, Accountability}, Visibility: Private,
				Retention: proofKept, Export: export, Erasure: keptAsProof},
			{Name: "author_id", Category: UniqueID, MemberRef: true, Purposes: []Purpose{Accountability}, Visibility: Private,
				Retention: proofKept, Export: NotExported("the number of the staff account that acted: another person's data"), Erasure: keptAsProof},
			{Name: "status", Category: Communications, Purposes: []Purpose{Answer, Accountability}, Visibility: Private,
				Retention: proofKept, Export: export, Erasure: keptAsProof},
			{Name: "body", Category: Communications, Purposes: []Purpose{Answer, Accountability}, Visibility: Private,
				Retention: proofKept, Export: Exported("messages and replies; internal notes too, since they are about the member"), Erasure: keptAsProof},
			{Name: "created_at", Category: Communications, Purposes: []Purpose{Answer, Accountability}, Visibility: Private,
				Retention: proofKept, Export: export, Erasure: keptAsProof},
		},
	},
	{
		Name: "legal_requests",
		About: "Requests from authorities for a member's data (policy §3: \"if required by law\"): the authority, its reference and legal basis, and the scope (member, data categories, period) of what Chorus disclosed. " +
			"Every step is in the access log.",
		Owner: ofMember, Rows: UpdateRows, Order: 20,
		Columns: []Column{
			notPersonal("id", "the legal request's number"),
			{Name: "authority", Category: Account, Purposes: []Purpose{Accountability}, Visibility: Private,
				Retention: proofKept, Export: legalNotExported, Erasure: keptAsProof},
			{Name: "reference", Category: Account, Purposes: []Purpose{Accountability}, Visibility: Private,
				Retention: proofKept, Export: legalNotExported, Erasure: keptAsProof},
			{Name: "legal_basis", Category: Account, Purposes: []Purpose{Accountability}, Visibility: Private,
				Retention: proofKept, Export: legalNotExported, Erasure: keptAsProof},
			{Name: "member_id", Category: UniqueID, MemberRef: true, Purposes: []Purpose{Accountability}, Visibility: Private,
				Retention: "until the account is erased (the database then forgets the link)", Export: legalNotExported, Erasure: keptAsProof},
			notPersonal("categories", "the data categories asked for"),
			notPersonal("period_from", "the start of the period asked for"),
			notPersonal("period_to", "the end of the period asked for"),
			notPersonal("status", "open, answered with data, or refused"),
			notPersonal("file_key", "the scoped export's ZIP in the file store, deleted when the request is closed"),
			{Name: "created_by", Category: UniqueID, MemberRef: true, Purposes: []Purpose{Accountability}, Visibility: Private,
				Retention: proofKept, Export: NotExported("the staff account that recorded it"), Erasure: keptAsProof},
			notPersonal("created_at", "when the request was recorded"),
			notPersonal("closed_at", "when the request was closed"),
		},
	},
	{
		Name: "access_log",
		About: "The access log, append-only (the database refuses changes and deletions): every time staff saw a member's private data, who, when and why, and every step of a legal request. " +
			"Members find the entries about them on their Your data page and in their export.",
		Owner: Owner{Where: "subject_id = ?"}, Rows: UpdateRows, Order: 10,
		Columns: []Column{
			notPersonal("id", "the entry's number"),
			{Name: "created_at", Category: Account, Purposes: []Purpose{Accountability}, Visibility: Private,
				Retention: proofKept, Export: export, Erasure: keptAsProof},
			{Name: "actor_id", Category: UniqueID, MemberRef: true, Purposes: []Purpose{Accountability}, Visibility: Private,
				Retention: proofKept, Export: NotExported("the number of the staff account: another person's data; what says which role acted"), Erasure: keptAsProof},
			{Name: "action", Category: Account, Purposes: []Purpose{Accountability}, Visibility: Private,
				Retention: proofKept, Export: export, Erasure: keptAsProof},
			{Name: "subject_id", Category: UniqueID, MemberRef: true, Purposes: []Purpose{Accountability}, Visibility: Private,
				Retention: proofKept, Export: NotExported("your account number; the rows are yours"), Erasure: keptAsProof},
			{Name: "what", Category: Account, Purposes: []Purpose{Accountability}, Visibility: Private,
				Retention: proofKept, Export: export, Erasure: keptAsProof},
			{Name: "reason", Category: Account, Purposes: []Purpose{Accountability}, Visibility: Private,
				Retention: proofKept, Export: export, Erasure: keptAsProof},
			notPersonal("legal_request_id", "the legal request an entry belongs to"),
		},
	},
}

// legalNotExported leaves a legal request out of the member's export: a
// disclosure to an authority may have to stay confidential while an
// investigation lasts (GDPR Art. 23(1)(d)). The staff access it caused is
// in the access log, which is exported.
var legalNotExported = NotExported("a request from an authority, which the law may require to stay confidential (GDPR Art. 23(1)(d)); the access it caused is in the access log")
