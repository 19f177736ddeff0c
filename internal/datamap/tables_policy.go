package datamap

// Acknowledge is why acknowledgements of the policy are kept.
const Acknowledge Purpose = "prove which version of the privacy policy you accepted or acknowledged, and honour your choice about transfers outside the EU/EEA"

const ackKept = "until the account is erased"

// policyTables declares the privacy policy's versions, members'
// acknowledgements of them and the processors register.
var policyTables = []Table{
	{
		Name:  "policy_versions",
		About: "The privacy policy, as versions written by admins in Markdown; published versions are never changed.",
		Rows:  NoRows,
		Columns: []Column{
			notPersonal("id", "the row's number"),
			notPersonal("version", "the version's name, the date it was published"),
			notPersonal("body", "the policy's text, written by the site's admins"),
			notPersonal("summary", "the summary of changes, written by the site's admins"),
			notPersonal("created_at", "when the draft was started"),
			notPersonal("published_at", "when the version was published"),
		},
	},
	{
		Name:  "policy_acknowledgements",
		About: "Which policy version each member accepted at sign-up or acknowledged after a change, with their choice about transfers outside the EU/EEA; append-only.",
		Owner: ofMember, Rows: DeleteRows, Order: 10,
		Columns: []Column{
			notPersonal("id", "the row's number"),
			memberRef("member_id"),
			{Name: "policy_version", Category: PrivacyChoices, Purposes: []Purpose{Acknowledge}, Mandatory: "account", Visibility: Private,
				Retention: ackKept, Export: export, Erasure: deleted},
			{Name: "event", Category: PrivacyChoices, Purposes: []Purpose{Acknowledge}, Mandatory: "account", Visibility: Private,
				Retention: ackKept, Export: Exported("'signup' or 'notice'"), Erasure: deleted},
			{Name: "transfers", Category: PrivacyChoices, Purposes: []Purpose{Acknowledge}, Visibility: Private,
				Retention: ackKept, Export: Exported("'given', 'refused', or empty when not asked"), Erasure: deleted,
				Why: "Your separate choice about sending your data to processors outside the EU/EEA. Refusing keeps your data away from them."},
			{Name: "created_at", Category: PrivacyChoices, Purposes: []Purpose{Acknowledge}, Mandatory: "account", Visibility: Private,
				Retention: ackKept, Export: export, Erasure: deleted},
		},
	},
	{
		Name:  "processors",
		About: "The processors register: the third parties that receive personal data for the site, what they receive and why.",
		Rows:  NoRows,
		Columns: []Column{
			notPersonal("id", "the row's number"),
			notPersonal("config_key", "which configured service the entry stands for"),
			notPersonal("name", "a company's or service's name"),
			notPersonal("service", "what the processor does for the site"),
			notPersonal("country", "where the processor works"),
			notPersonal("categories", "the categories of data it receives"),
			notPersonal("purpose", "why it receives them"),
			notPersonal("created_at", "when the entry was made"),
		},
	},
}
