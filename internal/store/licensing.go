package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"chorus/internal/chorus"
)

// Licensee is a member's business profile: who PRO invoices and licences
// are made out to. Country is ISO 3166-1 alpha-2; VATID is "" or an EU
// VAT number in the form money.ValidateVATID returns.
type Licensee struct {
	MemberID int64
	Company  string
	VATID    string
	Address  string
	Country  string
	Email    string
}

// Licensee returns the member's licensee profile, chorus.ErrNotFound when
// they have none.
func (s *DB) Licensee(ctx context.Context, memberID int64) (Licensee, error) {
	var l Licensee
	err := s.queryRow(ctx, `SELECT member_id, company, vat_id, address, country, email FROM licensees WHERE member_id = ?`, memberID).
		Scan(&l.MemberID, &l.Company, &l.VATID, &l.Address, &l.Country, &l.Email)
	return l, notFound(err, "licensee")
}

// SaveLicensee creates or replaces the member's licensee profile.
func (tx *Tx) SaveLicensee(ctx context.Context, l Licensee) error {
	_, err := tx.exec(ctx, `INSERT INTO licensees (member_id, company, vat_id, address, country, email, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (member_id) DO UPDATE SET company = excluded.company, vat_id = excluded.vat_id, address = excluded.address,
			country = excluded.country, email = excluded.email, updated_at = excluded.updated_at`,
		l.MemberID, l.Company, l.VATID, l.Address, l.Country, l.Email, tx.Now, tx.Now)
	return err
}

// SetInstrumental records whether the track is instrumental, as its
// artist says; the PRO catalogue filters on it.
func (tx *Tx) SetInstrumental(ctx context.Context, trackID int64, instrumental bool) error {
	_, err := tx.exec(ctx, `INSERT INTO pro_track_details (track_id, instrumental) VALUES (?, ?)
		ON CONFLICT (track_id) DO UPDATE SET instrumental = excluded.instrumental`, trackID, instrumental)
	return err
}

// InstrumentalTrackIDs lists which of the member's tracks are marked
// instrumental.
func (s *DB) InstrumentalTrackIDs(ctx context.Context, memberID int64) ([]int64, error) {
	return s.IDs(ctx, `SELECT d.track_id FROM pro_track_details d JOIN tracks t ON t.id = d.track_id JOIN artists a ON a.id = t.artist_id
		WHERE a.member_id = ? AND d.instrumental ORDER BY d.track_id`, memberID)
}

// CatalogueFilter narrows the PRO catalogue. Durations bound the track's
// length (0: no bound); Vocals is "", "vocal" or "instrumental".
type CatalogueFilter struct {
	Tag                      string
	MinDuration, MaxDuration time.Duration
	Vocals                   string
	Limit                    int // 0 means 50
}

// sellableTrack is the SQL condition of ProSellable on a track aliased t,
// with one argument: the agreement version.
const sellableTrack = `EXISTS (SELECT 1 FROM artists a JOIN pro_members p ON p.member_id = a.member_id
	WHERE a.id = t.artist_id AND p.opted_out_at IS NULL
	AND (p.catalogue OR EXISTS (SELECT 1 FROM pro_tracks x WHERE x.track_id = t.id))
	AND EXISTS (SELECT 1 FROM pro_agreements g WHERE g.member_id = p.member_id AND g.version = ?))`

// ProCatalogue lists the public tracks a PRO licence may be sold for now
// (the condition of ProSellable), newest first, with the set of those
// marked instrumental.
func (s *DB) ProCatalogue(ctx context.Context, agreementVersion string, f CatalogueFilter) ([]chorus.Track, map[int64]bool, error) {
	conds := []string{publicTrack, sellableTrack}
	args := []any{agreementVersion}
	if f.Tag != "" {
		if !storable(f.Tag) {
			return nil, nil, nil
		}
		conds = append(conds, "t.id IN (SELECT track_id FROM track_tags WHERE tag = ?)")
		args = append(args, f.Tag)
	}
	if f.MinDuration > 0 {
		conds = append(conds, "t.duration_ms >= ?")
		args = append(args, f.MinDuration.Milliseconds())
	}
	if f.MaxDuration > 0 {
		conds = append(conds, "t.duration_ms <= ?")
		args = append(args, f.MaxDuration.Milliseconds())
	}
	const instrumental = "EXISTS (SELECT 1 FROM pro_track_details d WHERE d.track_id = t.id AND d.instrumental)"
	switch f.Vocals {
	case "instrumental":
		conds = append(conds, instrumental)
	case "vocal":
		conds = append(conds, "NOT "+instrumental)
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	ts, err := s.tracks(ctx, s.db, "WHERE "+strings.Join(conds, " AND ")+" ORDER BY t.published_at DESC, t.id DESC LIMIT ?", append(args, f.Limit)...)
	if err != nil {
		return nil, nil, err
	}
	ids, err := s.IDs(ctx, `SELECT track_id FROM pro_track_details WHERE instrumental`)
	if err != nil {
		return nil, nil, err
	}
	inst := map[int64]bool{}
	for _, id := range ids {
		inst[id] = true
	}
	return ts, inst, nil
}

// TaxRate is a country's standard VAT rate in basis points (2000 = 20%).
type TaxRate struct {
	Country string
	Rate    int64
}

// TaxRates lists the rates by country.
func (s *DB) TaxRates(ctx context.Context) ([]TaxRate, error) {
	rows, err := s.query(ctx, `SELECT country, rate FROM pro_tax_rates ORDER BY country`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []TaxRate
	for rows.Next() {
		var r TaxRate
		if err := rows.Scan(&r.Country, &r.Rate); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// TaxRate returns the country's rate; chorus.ErrNotFound when none is set.
func (s *DB) TaxRate(ctx context.Context, country string) (int64, error) {
	var r int64
	err := s.queryRow(ctx, `SELECT rate FROM pro_tax_rates WHERE country = ?`, country).Scan(&r)
	return r, notFound(err, "tax rate")
}

// SetTaxRate sets the country's rate.
func (tx *Tx) SetTaxRate(ctx context.Context, r TaxRate) error {
	_, err := tx.exec(ctx, `INSERT INTO pro_tax_rates (country, rate, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (country) DO UPDATE SET rate = excluded.rate, updated_at = excluded.updated_at`, r.Country, r.Rate, tx.Now)
	return err
}

// Product is an item of the PRO price list. Kind is "venue" (background
// music for a venue: Tier is the venue size, Period "month" or "year") or
// "sync" (one project: Tier from "personal" to "advertising"). Price is in
// minor units of Currency (ISO 4217). Territory, Term and Terms go on the
// certificate.
type Product struct {
	ID        int64
	Kind      string
	Name      string
	Tier      string
	Period    string
	Price     int64
	Currency  string
	Territory string
	Term      string
	Terms     string
	Active    bool
}

const productColumns = `id, kind, name, tier, period, price, currency, territory, term, terms, active`

func scanProduct(row rowScanner) (Product, error) {
	var p Product
	err := row.Scan(&p.ID, &p.Kind, &p.Name, &p.Tier, &p.Period, &p.Price, &p.Currency, &p.Territory, &p.Term, &p.Terms, &p.Active)
	return p, err
}

// Products lists the price list; onlyActive leaves out withdrawn products.
func (s *DB) Products(ctx context.Context, onlyActive bool) ([]Product, error) {
	q := `SELECT ` + productColumns + ` FROM pro_products`
	if onlyActive {
		q += ` WHERE active`
	}
	rows, err := s.query(ctx, q+` ORDER BY kind, price, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Product
	for rows.Next() {
		p, err := scanProduct(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// Product returns one product, chorus.ErrNotFound when there is none.
func (s *DB) Product(ctx context.Context, id int64) (Product, error) {
	p, err := scanProduct(s.queryRow(ctx, `SELECT `+productColumns+` FROM pro_products WHERE id = ?`, id))
	return p, notFound(err, "product")
}

// SaveProduct creates the product (ID 0) or updates it, returning its id.
func (tx *Tx) SaveProduct(ctx context.Context, p Product) (int64, error) {
	if p.ID == 0 {
		err := tx.queryRow(ctx, `INSERT INTO pro_products (kind, name, tier, period, price, currency, territory, term, terms, active, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			p.Kind, p.Name, p.Tier, p.Period, p.Price, p.Currency, p.Territory, p.Term, p.Terms, p.Active, tx.Now, tx.Now).Scan(&p.ID)
		return p.ID, err
	}
	res, err := tx.exec(ctx, `UPDATE pro_products SET kind = ?, name = ?, tier = ?, period = ?, price = ?, currency = ?, territory = ?, term = ?, terms = ?, active = ?, updated_at = ? WHERE id = ?`,
		p.Kind, p.Name, p.Tier, p.Period, p.Price, p.Currency, p.Territory, p.Term, p.Terms, p.Active, tx.Now, p.ID)
	return p.ID, updatedOne(res, err, "product")
}

// Order statuses.
const (
	OrderAwaitingPayment = "awaiting payment"
	OrderPaid            = "paid"
)

// OrderLine is a track of an order: what its artist's member is paid
// from, Amount in minor units before the split.
type OrderLine struct {
	TrackID        int64
	TrackTitle     string
	ArtistName     string
	ArtistMemberID int64
	Amount         int64
}

// Order is a purchase of a product by a licensee. Net, Tax and Total are
// in minor units of Currency; TaxRate in basis points. ReverseCharge
// means the buyer accounts for the VAT (Council Directive 2006/112/EC,
// art. 196). Provider is the payment provider's name ("invoice",
// "stripe"), ProviderRef its reference of the payment.
type Order struct {
	ID            int64
	Reference     string
	MemberID      int64
	ProductID     int64
	ProductName   string
	Project       string
	Company       string
	VATID         string
	Address       string
	Country       string
	Currency      string
	Net, Tax      int64
	TaxRate       int64
	ReverseCharge bool
	Status        string
	Provider      string
	ProviderRef   string
	CreatedAt     time.Time
	PaidAt        *time.Time
	Lines         []OrderLine
	// Licence is the id of the licence issued, "" until paid.
	Licence string
}

// Total is what the licensee pays: net plus tax.
func (o Order) Total() int64 { return o.Net + o.Tax }

// Paid reports whether the order was paid.
func (o Order) Paid() bool { return o.Status == OrderPaid }

// CreateOrder stores an order awaiting payment with its lines and
// returns its id.
func (tx *Tx) CreateOrder(ctx context.Context, o Order) (int64, error) {
	var id int64
	err := tx.queryRow(ctx, `INSERT INTO pro_orders (reference, member_id, product_id, product_name, project, company, vat_id, address, country,
		currency, net, tax_rate, tax, reverse_charge, status, provider, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		o.Reference, o.MemberID, o.ProductID, o.ProductName, o.Project, o.Company, o.VATID, o.Address, o.Country,
		o.Currency, o.Net, o.TaxRate, o.Tax, o.ReverseCharge, OrderAwaitingPayment, o.Provider, tx.Now).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("create order: %w", err)
	}
	for _, l := range o.Lines {
		if _, err := tx.exec(ctx, `INSERT INTO pro_order_tracks (order_id, track_id, track_title, artist_name, artist_member_id, amount) VALUES (?, ?, ?, ?, ?, ?)`,
			id, l.TrackID, l.TrackTitle, l.ArtistName, l.ArtistMemberID, l.Amount); err != nil {
			return 0, err
		}
	}
	return id, nil
}

// SetOrderProviderRef records the payment provider's reference of the
// order's payment (a Checkout Session id).
func (tx *Tx) SetOrderProviderRef(ctx context.Context, orderID int64, ref string) error {
	res, err := tx.exec(ctx, `UPDATE pro_orders SET provider_ref = ? WHERE id = ?`, ref, orderID)
	return updatedOne(res, err, "order")
}

// MarkOrderPaid marks an order awaiting payment paid (paidBy 0 for the
// payment provider) and reports whether it changed: false when it was
// paid already, so a payment notified twice is handled once.
func (tx *Tx) MarkOrderPaid(ctx context.Context, orderID, paidBy int64) (bool, error) {
	var by any
	if paidBy != 0 {
		by = paidBy
	}
	res, err := tx.exec(ctx, `UPDATE pro_orders SET status = ?, paid_at = ?, paid_by = ? WHERE id = ? AND status = ?`,
		OrderPaid, tx.Now, by, orderID, OrderAwaitingPayment)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// IssueLicence records the licence of a paid order.
func (tx *Tx) IssueLicence(ctx context.Context, id string, orderID int64, code string) error {
	_, err := tx.exec(ctx, `INSERT INTO pro_licences (id, order_id, code, issued_at) VALUES (?, ?, ?, ?)`, id, orderID, code, tx.Now)
	return err
}

const orderColumns = `o.id, o.reference, o.member_id, o.product_id, o.product_name, o.project, o.company, o.vat_id, o.address, o.country,
	o.currency, o.net, o.tax_rate, o.tax, o.reverse_charge, o.status, o.provider, o.provider_ref, o.created_at, o.paid_at, COALESCE(l.id, '')`

func (s *DB) orders(ctx context.Context, where string, args ...any) ([]Order, error) {
	rows, err := s.query(ctx, `SELECT `+orderColumns+` FROM pro_orders o LEFT JOIN pro_licences l ON l.order_id = o.id `+where+` ORDER BY o.id DESC`, args...)
	if err != nil {
		return nil, err
	}
	var out []Order
	for rows.Next() {
		var o Order
		var paid sql.NullTime
		if err := rows.Scan(&o.ID, &o.Reference, &o.MemberID, &o.ProductID, &o.ProductName, &o.Project, &o.Company, &o.VATID, &o.Address, &o.Country,
			&o.Currency, &o.Net, &o.TaxRate, &o.Tax, &o.ReverseCharge, &o.Status, &o.Provider, &o.ProviderRef, &o.CreatedAt, &paid, &o.Licence); err != nil {
			rows.Close()
			return nil, err
		}
		if paid.Valid {
			t := paid.Time
			o.PaidAt = &t
		}
		out = append(out, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		lr, err := s.query(ctx, `SELECT track_id, track_title, artist_name, artist_member_id, amount FROM pro_order_tracks WHERE order_id = ? ORDER BY track_id`, out[i].ID)
		if err != nil {
			return nil, err
		}
		for lr.Next() {
			var l OrderLine
			if err := lr.Scan(&l.TrackID, &l.TrackTitle, &l.ArtistName, &l.ArtistMemberID, &l.Amount); err != nil {
				lr.Close()
				return nil, err
			}
			out[i].Lines = append(out[i].Lines, l)
		}
		lr.Close()
		if err := lr.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Order returns one order with its lines, chorus.ErrNotFound when none.
func (s *DB) Order(ctx context.Context, id int64) (Order, error) {
	os, err := s.orders(ctx, `WHERE o.id = ?`, id)
	if err != nil {
		return Order{}, err
	}
	if len(os) == 0 {
		return Order{}, fmt.Errorf("order: %w", chorus.ErrNotFound)
	}
	return os[0], nil
}

// OrderByProviderRef finds the order paid through the provider's
// reference, chorus.ErrNotFound when none.
func (s *DB) OrderByProviderRef(ctx context.Context, provider, ref string) (Order, error) {
	os, err := s.orders(ctx, `WHERE o.provider = ? AND o.provider_ref = ? AND o.provider_ref <> ''`, provider, ref)
	if err != nil {
		return Order{}, err
	}
	if len(os) == 0 {
		return Order{}, fmt.Errorf("order: %w", chorus.ErrNotFound)
	}
	return os[0], nil
}

// OrdersOf lists the member's orders, newest first.
func (s *DB) OrdersOf(ctx context.Context, memberID int64) ([]Order, error) {
	return s.orders(ctx, `WHERE o.member_id = ?`, memberID)
}

// AllOrders lists every order, newest first (at most limit).
func (s *DB) AllOrders(ctx context.Context, limit int) ([]Order, error) {
	return s.orders(ctx, `WHERE o.id IN (SELECT id FROM pro_orders ORDER BY id DESC LIMIT ?)`, limit)
}

// IssuedLicence is a licence with what its public verification shows.
type IssuedLicence struct {
	ID       string
	Code     string
	IssuedAt time.Time
	Order    Order
}

// Licence returns a licence with its order, chorus.ErrNotFound when none.
func (s *DB) Licence(ctx context.Context, id string) (IssuedLicence, error) {
	var l IssuedLicence
	var orderID int64
	err := s.queryRow(ctx, `SELECT id, code, issued_at, order_id FROM pro_licences WHERE id = ?`, id).Scan(&l.ID, &l.Code, &l.IssuedAt, &orderID)
	if err != nil {
		return l, notFound(err, "licence")
	}
	l.Order, err = s.Order(ctx, orderID)
	return l, err
}
