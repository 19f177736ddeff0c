package chorus

// Licence is a Creative Commons licence a track can be published under.
// Source: https://creativecommons.org/licenses/ (4.0 International) and
// https://creativecommons.org/publicdomain/zero/1.0/.
type Licence struct {
	ID    string // stable identifier stored in the database: "cc-by-4.0"
	Short string // "CC BY 4.0"
	Name  string // "Creative Commons Attribution 4.0 International"
	URL   string // canonical deed URL
	// Commercial is false for the NonCommercial (NC) licences.
	Commercial bool
	// Derivatives is false for the NoDerivatives (ND) licences.
	Derivatives bool
	// ShareAlike is true for the SA licences.
	ShareAlike bool
	// Attribution is false only for CC0, which waives it.
	Attribution bool
}

var licences = []Licence{
	{ID: "cc-by-4.0", Short: "CC BY 4.0", Name: "Creative Commons Attribution 4.0 International", URL: "https://creativecommons.org/licenses/by/4.0/", Commercial: true, Derivatives: true, Attribution: true},
	{ID: "cc-by-sa-4.0", Short: "CC BY-SA 4.0", Name: "Creative Commons Attribution-ShareAlike 4.0 International", URL: "https://creativecommons.org/licenses/by-sa/4.0/", Commercial: true, Derivatives: true, ShareAlike: true, Attribution: true},
	{ID: "cc-by-nd-4.0", Short: "CC BY-ND 4.0", Name: "Creative Commons Attribution-NoDerivatives 4.0 International", URL: "https://creativecommons.org/licenses/by-nd/4.0/", Commercial: true, Attribution: true},
	{ID: "cc-by-nc-4.0", Short: "CC BY-NC 4.0", Name: "Creative Commons Attribution-NonCommercial 4.0 International", URL: "https://creativecommons.org/licenses/by-nc/4.0/", Derivatives: true, Attribution: true},
	{ID: "cc-by-nc-sa-4.0", Short: "CC BY-NC-SA 4.0", Name: "Creative Commons Attribution-NonCommercial-ShareAlike 4.0 International", URL: "https://creativecommons.org/licenses/by-nc-sa/4.0/", Derivatives: true, ShareAlike: true, Attribution: true},
	{ID: "cc-by-nc-nd-4.0", Short: "CC BY-NC-ND 4.0", Name: "Creative Commons Attribution-NonCommercial-NoDerivatives 4.0 International", URL: "https://creativecommons.org/licenses/by-nc-nd/4.0/", Attribution: true},
	{ID: "cc0-1.0", Short: "CC0 1.0", Name: "Creative Commons CC0 1.0 Universal (public domain dedication)", URL: "https://creativecommons.org/publicdomain/zero/1.0/", Commercial: true, Derivatives: true},
}

// Licences returns every licence a track may carry, in the order forms show them.
func Licences() []Licence { return append([]Licence(nil), licences...) }

// LicenceByID returns the licence with the given ID, or ErrNotFound.
// Short names ("CC BY-SA 4.0", "by-sa") are accepted too, case-insensitively,
// so that the import command can take what a person would type.
func LicenceByID(id string) (Licence, error) {
	key := normaliseLicenceKey(id)
	for _, l := range licences {
		if key == normaliseLicenceKey(l.ID) || key == normaliseLicenceKey(l.Short) {
			return l, nil
		}
	}
	for _, l := range licences { // "by-sa" without version
		if key+"40" == normaliseLicenceKey(l.ID) || "cc"+key+"40" == normaliseLicenceKey(l.ID) || (key == "cc0" && l.ID == "cc0-1.0") {
			return l, nil
		}
	}
	return Licence{}, ErrNotFound
}

func normaliseLicenceKey(s string) string {
	var b []byte
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b = append(b, byte(r))
		case r >= 'A' && r <= 'Z':
			b = append(b, byte(r-'A'+'a'))
		}
	}
	return string(b)
}

// AttributionText is the credit line the licence asks for (CC 4.0 §3(a)):
// title, creator, licence and a link to it. For CC0 it is a courtesy credit.
func (l Licence) AttributionText(title, artist, trackURL string) string {
	s := "\u201c" + title + "\u201d by " + artist
	if trackURL != "" {
		s += " (" + trackURL + ")"
	}
	if !l.Attribution {
		return s + ", dedicated to the public domain under " + l.Short + " (" + l.URL + ")"
	}
	return s + ", licensed under " + l.Short + " (" + l.URL + ")"
}
