package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"chorus/internal/chorus"
	"chorus/internal/datamap"
)

// PolicyVersion is one version of the privacy policy, or a draft of one.
type PolicyVersion struct {
	ID int64
	// Version names a published version: the date it was published
	// ("2026-11-29"), with ".2", ".3" for later ones the same day; empty
	// for a draft.
	Version string
	// Body is the policy's text, in Markdown (CommonMark).
	Body string
	// Summary is the summary of changes shown to members in the notice.
	Summary     string
	CreatedAt   time.Time
	PublishedAt time.Time // zero for a draft
}

// Published reports whether v is published (and so never changes).
func (v PolicyVersion) Published() bool { return !v.PublishedAt.IsZero() }

// Limits of a policy version's texts, in bytes.
const (
	MaxPolicyBytes  = 200 << 10
	MaxSummaryBytes = 2000
)

const policyColumns = `id, version, body, summary, created_at, published_at`

func scanPolicy(row rowScanner) (PolicyVersion, error) {
	var (
		v         PolicyVersion
		version   sql.NullString
		published sql.NullTime
	)
	err := row.Scan(&v.ID, &version, &v.Body, &v.Summary, &v.CreatedAt, &published)
	v.Version, v.PublishedAt = version.String, published.Time
	return v, err
}

// CurrentPolicy returns the policy version in force: the one published
// last. It is the one answer to "which version is current", recorded with
// every consent choice and acknowledgement. A database always holds one,
// installed by its migration.
func (s *DB) CurrentPolicy(ctx context.Context) (PolicyVersion, error) {
	v, err := scanPolicy(s.queryRow(ctx, `SELECT `+policyColumns+` FROM policy_versions
		WHERE published_at IS NOT NULL ORDER BY published_at DESC, id DESC LIMIT 1`))
	return v, notFound(err, "policy version")
}

func currentPolicyVersion(ctx context.Context, tx *Tx) (string, error) {
	var v string
	err := tx.queryRow(ctx, `SELECT version FROM policy_versions WHERE published_at IS NOT NULL ORDER BY published_at DESC, id DESC LIMIT 1`).Scan(&v)
	return v, notFound(err, "policy version")
}

// PolicyVersionByID returns the version or draft id, or ErrNotFound.
func (s *DB) PolicyVersionByID(ctx context.Context, id int64) (PolicyVersion, error) {
	v, err := scanPolicy(s.queryRow(ctx, `SELECT `+policyColumns+` FROM policy_versions WHERE id = ?`, id))
	return v, notFound(err, "policy version")
}

// PolicyVersions returns every version and draft, drafts first, then the
// published ones newest first.
func (s *DB) PolicyVersions(ctx context.Context) ([]PolicyVersion, error) {
	rows, err := s.query(ctx, `SELECT `+policyColumns+` FROM policy_versions
		ORDER BY CASE WHEN published_at IS NULL THEN 0 ELSE 1 END, published_at DESC, id DESC`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []PolicyVersion
	for rows.Next() {
		v, err := scanPolicy(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func checkPolicyText(body, summary string) error {
	fields := map[string]string{}
	switch {
	case strings.TrimSpace(body) == "":
		fields["body"] = "Please write the policy's text."
	case len(body) > MaxPolicyBytes || !storable(body):
		fields["body"] = fmt.Sprintf("The text must be plain text of at most %d KiB.", MaxPolicyBytes>>10)
	}
	switch {
	case strings.TrimSpace(summary) == "":
		fields["summary"] = "Please summarise the changes: members see this summary in the notice."
	case len(summary) > MaxSummaryBytes || !storable(summary):
		fields["summary"] = fmt.Sprintf("The summary must be plain text of at most %d characters.", MaxSummaryBytes)
	}
	if len(fields) > 0 {
		return &chorus.InvalidError{Fields: fields}
	}
	return nil
}

// CreatePolicyDraft starts a draft with body (Markdown) and summary (the
// summary of changes); both are required. It returns the draft.
func (tx *Tx) CreatePolicyDraft(ctx context.Context, body, summary string) (PolicyVersion, error) {
	if err := checkPolicyText(body, summary); err != nil {
		return PolicyVersion{}, err
	}
	v := PolicyVersion{Body: body, Summary: strings.TrimSpace(summary), CreatedAt: tx.Now}
	err := tx.queryRow(ctx, `INSERT INTO policy_versions (body, summary, created_at) VALUES (?, ?, ?) RETURNING id`,
		v.Body, v.Summary, v.CreatedAt).Scan(&v.ID)
	return v, err
}

// UpdatePolicyDraft replaces the texts of draft id. A published version
// cannot be changed: ErrConflict.
func (tx *Tx) UpdatePolicyDraft(ctx context.Context, id int64, body, summary string) error {
	if err := checkPolicyText(body, summary); err != nil {
		return err
	}
	res, err := tx.exec(ctx, `UPDATE policy_versions SET body = ?, summary = ? WHERE id = ? AND published_at IS NULL`, body, strings.TrimSpace(summary), id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return publishedOrMissing(ctx, tx, id)
	}
	return nil
}

func publishedOrMissing(ctx context.Context, tx *Tx, id int64) error {
	var n int
	if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM policy_versions WHERE id = ?`, id).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("policy draft %d: %w", id, chorus.ErrNotFound)
	}
	return &chorus.SafeError{Kind: chorus.ErrConflict, Safe: "This version is already published; published versions are never changed. Start a new draft instead."}
}

// PublishPolicy publishes draft id: from now on it is the version in
// force, named by today's date. It returns the published version.
func (tx *Tx) PublishPolicy(ctx context.Context, id int64) (PolicyVersion, error) {
	base := tx.Now.Format("2006-01-02")
	var n int
	if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM policy_versions WHERE version = ? OR version LIKE ?`, base, base+".%").Scan(&n); err != nil {
		return PolicyVersion{}, err
	}
	name := base
	if n > 0 {
		name = fmt.Sprintf("%s.%d", base, n+1)
	}
	res, err := tx.exec(ctx, `UPDATE policy_versions SET version = ?, published_at = ? WHERE id = ? AND published_at IS NULL`, name, tx.Now, id)
	if err != nil {
		return PolicyVersion{}, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return PolicyVersion{}, publishedOrMissing(ctx, tx, id)
	}
	v, err := scanPolicy(tx.queryRow(ctx, `SELECT `+policyColumns+` FROM policy_versions WHERE id = ?`, id))
	return v, err
}

// Events of an acknowledgement.
const (
	// AckSignUp is the acceptance of the version in force at sign-up.
	AckSignUp = "signup"
	// AckNotice is the acknowledgement of a new version's notice.
	AckNotice = "notice"
)

// Choices about transfers outside the EU/EEA.
const (
	TransfersGiven   = "given"
	TransfersRefused = "refused"
)

// Acknowledgement is one row of a member's acknowledgements of the policy.
type Acknowledgement struct {
	ID            int64
	MemberID      int64
	PolicyVersion string
	Event         string
	// Transfers is TransfersGiven, TransfersRefused, or "" when not asked.
	Transfers string
	CreatedAt time.Time
}

// AcknowledgePolicy appends that member accepted (event AckSignUp) or
// acknowledged (AckNotice) the version in force now, with their choice
// about transfers ("" when not asked). It returns the row.
func (tx *Tx) AcknowledgePolicy(ctx context.Context, memberID int64, event, transfers string) (Acknowledgement, error) {
	if event != AckSignUp && event != AckNotice {
		return Acknowledgement{}, fmt.Errorf("policy acknowledgement: unknown event %q", event)
	}
	if transfers != "" && transfers != TransfersGiven && transfers != TransfersRefused {
		return Acknowledgement{}, fmt.Errorf("policy acknowledgement: unknown transfer choice %q", transfers)
	}
	version, err := currentPolicyVersion(ctx, tx)
	if err != nil {
		return Acknowledgement{}, err
	}
	a := Acknowledgement{MemberID: memberID, PolicyVersion: version, Event: event, Transfers: transfers, CreatedAt: tx.Now}
	err = tx.queryRow(ctx, `INSERT INTO policy_acknowledgements (member_id, policy_version, event, transfers, created_at)
		VALUES (?, ?, ?, ?, ?) RETURNING id`, memberID, version, event, transfers, tx.Now).Scan(&a.ID)
	return a, err
}

// Acknowledgements returns the member's acknowledgements, newest first.
func (s *DB) Acknowledgements(ctx context.Context, memberID int64) ([]Acknowledgement, error) {
	rows, err := s.query(ctx, `SELECT id, member_id, policy_version, event, transfers, created_at
		FROM policy_acknowledgements WHERE member_id = ? ORDER BY id DESC`, memberID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Acknowledgement
	for rows.Next() {
		var a Acknowledgement
		if err := rows.Scan(&a.ID, &a.MemberID, &a.PolicyVersion, &a.Event, &a.Transfers, &a.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// PolicyNotice returns the version in force when the member has not yet
// accepted or acknowledged it, or ErrNotFound when they have (or when they
// have no record at all: accounts made before acknowledgements existed, and
// by the admin command, are asked too, so that is not ErrNotFound).
func (s *DB) PolicyNotice(ctx context.Context, memberID int64) (PolicyVersion, error) {
	cur, err := s.CurrentPolicy(ctx)
	if err != nil {
		return PolicyVersion{}, err
	}
	var n int
	if err := s.queryRow(ctx, `SELECT COUNT(*) FROM policy_acknowledgements WHERE member_id = ? AND policy_version = ?`,
		memberID, cur.Version).Scan(&n); err != nil {
		return PolicyVersion{}, err
	}
	if n > 0 {
		return PolicyVersion{}, fmt.Errorf("policy notice: %w", chorus.ErrNotFound)
	}
	return cur, nil
}

// TransfersRefused reports whether the member's latest choice about
// transfers outside the EU/EEA refused them. A member never asked (no
// processor was outside when they signed up) has not refused.
func (s *DB) TransfersRefused(ctx context.Context, memberID int64) (bool, error) {
	var t string
	err := s.queryRow(ctx, `SELECT transfers FROM policy_acknowledgements WHERE member_id = ? AND transfers <> ''
		ORDER BY id DESC LIMIT 1`, memberID).Scan(&t)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return t == TransfersRefused, err
}

// Processors returns the processors register, in the order entries were made.
func (s *DB) Processors(ctx context.Context) ([]datamap.Registered, error) {
	rows, err := s.query(ctx, `SELECT id, config_key, name, service, country, categories, purpose FROM processors ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []datamap.Registered
	for rows.Next() {
		p, err := scanProcessor(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

func scanProcessor(row rowScanner) (datamap.Registered, error) {
	var (
		p    datamap.Registered
		key  sql.NullString
		cats string
	)
	err := row.Scan(&p.ID, &key, &p.Name, &p.Service, &p.Country, &cats, &p.Purpose)
	p.ConfigKey = key.String
	for _, c := range strings.Split(cats, ",") {
		if c != "" {
			p.Categories = append(p.Categories, datamap.Category(c))
		}
	}
	return p, err
}

// ProcessorByConfigKey returns the register's entry seeded for the
// configured service key (datamap.ConfigSMTP), or ErrNotFound.
func (s *DB) ProcessorByConfigKey(ctx context.Context, key string) (datamap.Registered, error) {
	p, err := scanProcessor(s.queryRow(ctx, `SELECT id, config_key, name, service, country, categories, purpose FROM processors WHERE config_key = ?`, key))
	return p, notFound(err, "processor")
}

// ProcessorByID returns the register's entry id, or ErrNotFound.
func (s *DB) ProcessorByID(ctx context.Context, id int64) (datamap.Registered, error) {
	p, err := scanProcessor(s.queryRow(ctx, `SELECT id, config_key, name, service, country, categories, purpose FROM processors WHERE id = ?`, id))
	return p, notFound(err, "processor")
}

func checkProcessor(p *datamap.Registered) error {
	fields := map[string]string{}
	p.Name, p.Service, p.Purpose = strings.TrimSpace(p.Name), strings.TrimSpace(p.Service), strings.TrimSpace(p.Purpose)
	p.Country = strings.ToUpper(strings.TrimSpace(p.Country))
	for name, v := range map[string]string{"name": p.Name, "service": p.Service, "purpose": p.Purpose} {
		if v == "" {
			fields[name] = "Please fill this in."
		} else if len(v) > 500 || !storable(v) {
			fields[name] = "Please use plain text of at most 500 characters."
		}
	}
	if p.Country != "" && !datamap.ValidCountry(p.Country) {
		fields["country"] = "Please give the country as its two-letter ISO code, such as DE, FR or US."
	}
	known := datamap.Categories()
	for _, c := range p.Categories {
		if !containsCategory(known, c) {
			fields["categories"] = "Please choose categories from the list."
		}
	}
	if len(fields) > 0 {
		return &chorus.InvalidError{Fields: fields}
	}
	return nil
}

func containsCategory(cs []datamap.Category, c datamap.Category) bool {
	for _, x := range cs {
		if x == c {
			return true
		}
	}
	return false
}

func joinCategories(cs []datamap.Category) string {
	s := make([]string, len(cs))
	for i, c := range cs {
		s[i] = string(c)
	}
	return strings.Join(s, ",")
}

// SaveProcessor adds p to the register (p.ID 0) or replaces entry p.ID.
// Name, service and purpose are required; the country is an ISO code or
// empty; categories must be declared in the data map. It returns the id.
func (tx *Tx) SaveProcessor(ctx context.Context, p datamap.Registered) (int64, error) {
	if err := checkProcessor(&p); err != nil {
		return 0, err
	}
	if p.ID == 0 {
		err := tx.queryRow(ctx, `INSERT INTO processors (config_key, name, service, country, categories, purpose, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, sql.NullString{String: p.ConfigKey, Valid: p.ConfigKey != ""},
			p.Name, p.Service, p.Country, joinCategories(p.Categories), p.Purpose, tx.Now).Scan(&p.ID)
		if isUniqueViolation(err) {
			return 0, fmt.Errorf("processor %q: %w", p.ConfigKey, chorus.ErrConflict)
		}
		return p.ID, err
	}
	res, err := tx.exec(ctx, `UPDATE processors SET name = ?, service = ?, country = ?, categories = ?, purpose = ? WHERE id = ?`,
		p.Name, p.Service, p.Country, joinCategories(p.Categories), p.Purpose, p.ID)
	if err != nil {
		return 0, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return 0, fmt.Errorf("processor %d: %w", p.ID, chorus.ErrNotFound)
	}
	return p.ID, nil
}

// DeleteProcessor removes entry id from the register.
func (tx *Tx) DeleteProcessor(ctx context.Context, id int64) error {
	res, err := tx.exec(ctx, `DELETE FROM processors WHERE id = ?`, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("processor %d: %w", id, chorus.ErrNotFound)
	}
	return nil
}

// SeedProcessor adds p, a processor the configuration names (p.ConfigKey
// set), unless the register already has an entry for that key: an admin's
// later edits are kept. It reports whether it added one.
func (s *DB) SeedProcessor(ctx context.Context, p datamap.Registered) (bool, error) {
	if p.ConfigKey == "" {
		return false, errors.New("seed processor: no configuration key")
	}
	added := false
	err := s.Tx(ctx, func(tx *Tx) error {
		var n int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM processors WHERE config_key = ?`, p.ConfigKey).Scan(&n); err != nil || n > 0 {
			return err
		}
		_, err := tx.SaveProcessor(ctx, p)
		added = err == nil
		return err
	})
	return added, err
}
