// Package auth authenticates the action's requests to GitHub: a GitHub App
// (JWTs, and installation tokens minted with them) or a token the user gives.
// Its Plan decides which of them serves each purpose of a run.
//
// Every credential is added by an http.RoundTripper that clones the request,
// so the callers' requests are never mutated, and no key, JWT or token is ever
// put in an error or a log line.
package auth
