package input

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Secret reports whether the named input holds a credential, whose value no
// message ever shows, however ordinary it looks.
func Secret(name string) bool { return name == "private-key" || name == "token" }

// Value renders the value v of the named input for a message. An ordinary
// value is quoted, as %q quotes it. A value that looks like a credential
// (Shape), whatever input it was put in, and any value of private-key or
// token, is described by its shape and length and never shown: a message may
// end up on a terminal, in cron's mail or in a journal, where nothing masks
// it.
//
// Every message that quotes an input's value quotes it through Value.
func Value(name, v string) string {
	n := utf8.RuneCountInString(v)
	switch what, whole := Shape(v); {
	case whole:
		return fmt.Sprintf("a value that looks like %s (%d characters, not shown)", what, n)
	case what != "":
		return fmt.Sprintf("a value of %d characters holding what looks like %s (not shown)", n, what)
	case Secret(name):
		return fmt.Sprintf("a value of %d characters (not shown)", n)
	}
	return strconv.Quote(v)
}

// Misplaced is the problem with a value that looks like a credential in an
// input that holds none (Secret is false), or "" if v looks like none. Such
// a value is refused, even where the input's own rules would take it (a
// token is a valid variable name, a key a valid event type), so that it never
// reaches the log.
func Misplaced(name, v string) string {
	if what, _ := Shape(v); what == "" || Secret(name) {
		return ""
	}
	return "got " + Value(name, v) + "; a credential belongs in private-key or token, never here"
}

// The shapes of credentials. GitHub's tokens carry a prefix by kind
// (personal, OAuth, user-to-server, server-to-server, refresh; fine-grained
// personal tokens github_pat_); a JWT is three base64url parts, the first two
// JSON objects ("eyJ" is the base64 of `{"`).
var (
	pemPrivateRE  = regexp.MustCompile(`-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----`)
	pemRE         = regexp.MustCompile(`-----BEGIN [A-Z0-9 ]+-----`)
	githubTokenRE = regexp.MustCompile(`gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}`)
	jwtRE         = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{6,}\.eyJ[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]*`)
	// runRE finds the runs a random secret is made of: letters and
	// digits, and base64's + and =. Separators (_ - . /) end a run, so
	// names, lists and URLs fall apart into words.
	runRE = regexp.MustCompile(`[A-Za-z0-9+=]{32,}`)
	hexRE = regexp.MustCompile(`^(?:[0-9a-f]+|[0-9A-F]+)$`)
)

// Shape says what v looks like if it looks like a credential ("a GitHub
// token", "a PEM private key"), and whether all of v does (rather than a part
// of it, such as a token in a URL); what is "" if it looks like none.
func Shape(v string) (what string, whole bool) {
	v = strings.TrimSpace(v)
	for _, s := range []struct {
		re   *regexp.Regexp
		what string
	}{
		{pemPrivateRE, "a PEM private key"},
		{pemRE, "a PEM block"},
		{githubTokenRE, "a GitHub token"},
		{jwtRE, "a JWT"},
	} {
		if loc := s.re.FindStringIndex(v); loc != nil {
			// A PEM block runs from its BEGIN line to its END line;
			// the others are the whole value when they match all of it.
			return s.what, loc[0] == 0 && (loc[1] == len(v) || strings.HasPrefix(s.what, "a PEM"))
		}
	}
	for _, loc := range runRE.FindAllStringIndex(v, -1) {
		if random(v[loc[0]:loc[1]]) {
			return "a key or token", loc[0] == 0 && loc[1] == len(v)
		}
	}
	return "", false
}

// random reports whether a run of 32 or more letters, digits, + and = looks
// drawn at random rather than written: hex with letters and digits (an older
// token, a webhook secret), or all of upper case, lower case and digits with
// the kind of character changing at most steps. In random base62 the kind
// changes at 62 % of steps; in CamelCase words, even with digits, at about
// 30 %.
func random(run string) bool {
	var upper, lower, digit bool
	changes, prev := 0, 0
	for i, r := range run {
		k := 3 // + and =
		switch {
		case r >= 'A' && r <= 'Z':
			k, upper = 0, true
		case r >= 'a' && r <= 'z':
			k, lower = 1, true
		case r >= '0' && r <= '9':
			k, digit = 2, true
		}
		if i > 0 && k != prev {
			changes++
		}
		prev = k
	}
	if hexRE.MatchString(run) {
		return digit && (upper || lower)
	}
	return upper && lower && digit && float64(changes) >= math.Ceil(0.4*float64(len(run)-1))
}
