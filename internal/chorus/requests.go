package chorus

import "time"

// RequestKind is what someone writing through the contact form asks for:
// a general comment or enquiry, or one of the rights of a data subject
// (GDPR Arts. 15-21).
type RequestKind string

// The kinds of request.
const (
	RequestGeneral        RequestKind = "general"
	RequestAccess         RequestKind = "access"
	RequestRectification  RequestKind = "rectification"
	RequestErasure        RequestKind = "erasure"
	RequestRestriction    RequestKind = "restriction"
	RequestPortability    RequestKind = "portability"
	RequestObjection      RequestKind = "objection"
	RequestOtherDataRight RequestKind = "other"
)

// RequestKinds lists the kinds in the order the form offers them.
var RequestKinds = []RequestKind{RequestGeneral, RequestAccess, RequestRectification, RequestErasure,
	RequestRestriction, RequestPortability, RequestObjection, RequestOtherDataRight}

// Label is the kind as the form shows it, with its GDPR article.
func (k RequestKind) Label() string {
	switch k {
	case RequestGeneral:
		return "A comment or a question"
	case RequestAccess:
		return "See the data you hold about me (right of access, GDPR Art. 15)"
	case RequestRectification:
		return "Correct data about me (rectification, Art. 16)"
	case RequestErasure:
		return "Delete data about me (erasure, Art. 17)"
	case RequestRestriction:
		return "Stop using data about me for now (restriction, Art. 18)"
	case RequestPortability:
		return "Receive my data to take elsewhere (portability, Art. 20)"
	case RequestObjection:
		return "Object to a use of my data (objection, Art. 21)"
	case RequestOtherDataRight:
		return "Another request about my data"
	}
	return string(k)
}

// SubjectRequest reports whether k is a data-subject request, which must
// be answered within the legal deadline (see RequestDeadline).
func (k RequestKind) SubjectRequest() bool { return k != RequestGeneral && k.Valid() }

// Valid reports whether k is one of RequestKinds.
func (k RequestKind) Valid() bool {
	for _, v := range RequestKinds {
		if v == k {
			return true
		}
	}
	return false
}

// RequestStatus is where a request stands in the admins' queue.
type RequestStatus string

// The statuses of a request.
const (
	RequestNew        RequestStatus = "new"
	RequestInProgress RequestStatus = "in progress"
	RequestAnswered   RequestStatus = "answered"
	RequestClosed     RequestStatus = "closed"
)

// RequestStatuses lists the statuses in queue order.
var RequestStatuses = []RequestStatus{RequestNew, RequestInProgress, RequestAnswered, RequestClosed}

// Valid reports whether s is one of RequestStatuses.
func (s RequestStatus) Valid() bool {
	for _, v := range RequestStatuses {
		if v == s {
			return true
		}
	}
	return false
}

// Open reports whether the request still waits for an answer.
func (s RequestStatus) Open() bool { return s == RequestNew || s == RequestInProgress }

// RequestDeadline is the day by which a data-subject request received at
// received must be answered: "within one month of receipt" (GDPR Art.
// 12(3)), extended by extraMonths (at most two, for complex or numerous
// requests, the requester being told within the first month). A period in
// months ends on the day of the last month with the same date as the day
// of receipt, or on that month's last day when it has no such date
// (Regulation (EEC, Euratom) No 1182/71, Art. 3(2)(c)); the result is the
// end of that day, in UTC.
func RequestDeadline(received time.Time, extraMonths int) time.Time {
	received = received.UTC()
	months := 1 + min(max(extraMonths, 0), 2)
	y, m, d := received.Date()
	first := time.Date(y, m+time.Month(months), 1, 0, 0, 0, 0, time.UTC)
	last := first.AddDate(0, 1, -1).Day()
	day := min(d, last)
	return time.Date(first.Year(), first.Month(), day, 23, 59, 59, 0, time.UTC)
}

// DueSoon is how close to its deadline an open request is flagged.
const DueSoon = 7 * 24 * time.Hour

// Urgency says how an open data-subject request stands against its
// deadline at now: "overdue", "due soon" (within DueSoon) or "".
func Urgency(due, now time.Time) string {
	switch {
	case due.IsZero():
		return ""
	case now.After(due):
		return "overdue"
	case due.Sub(now) <= DueSoon:
		return "due soon"
	}
	return ""
}
