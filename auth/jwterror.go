package auth

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-github/v62/github"
)

// JWTReason says why GitHub refused an App JWT, as read from its message.
//
// GitHub answers every refused App JWT with 401 and one of these messages
// (no trailing period), seen in the wild as quoted:
//
//   - "'Expiration time' claim ('exp') must be a numeric value representing
//     the future time at which the assertion expires": exp is not in GitHub's
//     future (sigmavirus24/github3.py#1050; octokit/auth-app.js matches it in
//     src/hook.ts and retries with GitHub's Date).
//   - "'Issued at' claim ('iat') must be an Integer representing the time
//     that the assertion was issued": iat is in GitHub's future (the JSON body
//     quoted in probot/probot#326; tibdex/github-app-token#102;
//     octokit/auth-app.js src/hook.ts).
//   - "'Expiration time' claim ('exp') is too far in the future": exp is more
//     than 10 minutes after GitHub's now (the body quoted in
//     rocq-prover/bot#204; octokit/auth-app.js#698,
//     actions/create-github-app-token#178).
//   - "A JSON web token could not be decoded": the signature does not verify
//     with the App's key, or the token is no JWT
//     (actions/create-github-app-token#153; octokit/auth-app.js#375 shows it
//     for a valid JWT whose iss names another App than the key's).
//   - "Integration not found" (octokit/authentication-strategies.js#165) and
//     "'Issuer' claim ('iss') must be an Integer"
//     (actions/create-github-app-token#386): iss names no App.
//
// The wording is matched loosely (case, the claim names, a few key words), so
// that a small change on GitHub's side or an Enterprise Server version still
// classifies; anything else is JWTOther.
type JWTReason int

const (
	// JWTOther is a message this package does not recognise.
	JWTOther JWTReason = iota
	// JWTExpired: GitHub's clock has passed exp.
	JWTExpired
	// JWTNotYetValid: iat is in GitHub's future, or exp more than 10
	// minutes after GitHub's now: the JWT was minted on a clock ahead of
	// GitHub's.
	JWTNotYetValid
	// JWTSignature: GitHub could not decode the JWT or verify its signature
	// with the key of the App iss names: private-key is not that App's key.
	JWTSignature
	// JWTIssuer: iss names no App: app-id is wrong.
	JWTIssuer
)

func (r JWTReason) String() string {
	switch r {
	case JWTExpired:
		return "expired"
	case JWTNotYetValid:
		return "not yet valid"
	case JWTSignature:
		return "signature"
	case JWTIssuer:
		return "issuer"
	}
	return "other"
}

// Clock reports whether the JWT was refused for its times, not its key or
// issuer: a disagreement between the clock it was minted on and GitHub's,
// which re-minting on GitHub's clock can cure.
func (r JWTReason) Clock() bool { return r == JWTExpired || r == JWTNotYetValid }

// jwtReason classifies GitHub's message for a refused App JWT.
func jwtReason(message string) JWTReason {
	m := strings.ToLower(message)
	switch {
	case strings.Contains(m, "('exp')") && (strings.Contains(m, "too far") || strings.Contains(m, "more than")):
		return JWTNotYetValid
	case strings.Contains(m, "('exp')"):
		return JWTExpired
	case strings.Contains(m, "('iat')"):
		return JWTNotYetValid
	case strings.Contains(m, "('iss')"), strings.Contains(m, "integration not found"):
		return JWTIssuer
	case strings.Contains(m, "could not be decoded"):
		return JWTSignature
	}
	return JWTOther
}

// JWTRejectedError is GitHub's 401 to a request made with the App JWT, with
// the reason read from GitHub's message. Its text is the API error followed
// by what to do about it. By the time a caller sees one whose Reason is a
// clock reason, the App's transport has already re-minted the JWT on GitHub's
// clock and retried once.
type JWTRejectedError struct {
	Reason  JWTReason
	Message string // GitHub's message
	// AppID, if known, is named in the advice.
	AppID string
	// Err is the API error, a *github.ErrorResponse or an error wrapping one.
	Err error
}

func (e *JWTRejectedError) Error() string { return e.Err.Error() + ": " + e.Advice() }

func (e *JWTRejectedError) Unwrap() error { return e.Err }

// Advice says what the rejection means for the user. Only a signature or
// issuer rejection blames app-id or private-key.
func (e *JWTRejectedError) Advice() string {
	appID := "app-id"
	if e.AppID != "" {
		appID = fmt.Sprintf("app-id (%s)", e.AppID)
	}
	retried := " even after the action re-minted it on GitHub's clock (read from the Date header of GitHub's " +
		"answer) and sent the request again: the runner's clock and GitHub's disagreed, and the retry did not help; " +
		"app-id and private-key are not at fault: run again, and if it repeats check the runner's clock (or, on " +
		"Enterprise Server, the server's)"
	switch e.Reason {
	case JWTExpired:
		return "GitHub judged the App JWT expired" + retried
	case JWTNotYetValid:
		return "GitHub judged the App JWT not yet valid (issued in GitHub's future, or expiring more than 10 minutes " +
			"after GitHub's now)" + retried
	case JWTSignature:
		return fmt.Sprintf("GitHub could not verify the App JWT: wrong key or app id; check that private-key is a "+
			"current key of the App that %s names", appID)
	case JWTIssuer:
		if strings.Contains(strings.ToLower(e.Message), "must be an integer") {
			return fmt.Sprintf("GitHub knows no App by %s: wrong key or app id; GitHub wants a numeric App ID "+
				"here: if app-id is a client ID, use the App ID from the App's settings page instead", appID)
		}
		return fmt.Sprintf("GitHub knows no App by %s: wrong key or app id; copy the App ID or client ID from "+
			"the App's settings page", appID)
	}
	return fmt.Sprintf("GitHub rejected the App JWT with a message this action does not recognise; if it repeats, "+
		"compare %s and private-key with the App's settings page", appID)
}

// ClassifyJWTError returns the JWT rejection err is or wraps: a
// *JWTRejectedError, or GitHub's 401 (a *github.ErrorResponse) to a request
// made with the App JWT, classified by its message. It reports false for any
// other error. Call it only on errors of requests made with the App JWT: a
// 401 to a token means something else.
func ClassifyJWTError(err error) (*JWTRejectedError, bool) {
	var rej *JWTRejectedError
	if errors.As(err, &rej) {
		return rej, true
	}
	var er *github.ErrorResponse
	if !errors.As(err, &er) || er.Response == nil || er.Response.StatusCode != http.StatusUnauthorized {
		return nil, false
	}
	return &JWTRejectedError{Reason: jwtReason(er.Message), Message: er.Message, Err: err}, true
}
