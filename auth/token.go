package auth

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
)

// maxErrorBody bounds what is read of an error response to learn GitHub's
// message; GitHub's error bodies are a few hundred bytes.
const maxErrorBody = 64 << 10

// Token returns a transport that sends each request with
// "Authorization: Bearer <token>" through next (http.DefaultTransport if nil).
func Token(token string, next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return &tokenTransport{token: token, next: next}
}

type tokenTransport struct {
	token string
	next  http.RoundTripper
}

func (t *tokenTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	return t.next.RoundTrip(withBearer(req, t.token))
}

// withBearer returns a clone of req carrying the credential. The clone shares
// req's body, as http.RoundTripper implementations may; the caller's header
// map is left untouched.
func withBearer(req *http.Request, credential string) *http.Request {
	r := req.Clone(req.Context())
	r.Header.Set("Authorization", "Bearer "+credential)
	return r
}

// replayable reports whether req can be sent a second time.
func replayable(req *http.Request) bool {
	return req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
}

// closeBody closes the request body when a transport gives up before sending,
// as the http.RoundTripper contract requires.
func closeBody(req *http.Request) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
}

// drainClose reads a little of a discarded response so the connection can be
// reused, then closes it.
func drainClose(body io.ReadCloser) {
	if body == nil {
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(body, 64<<10))
	_ = body.Close()
}

// peekMessage returns the "message" of GitHub's JSON error body, reading at
// most maxErrorBody bytes, and puts back what it read so the response's
// reader still sees the whole body.
func peekMessage(resp *http.Response) string {
	if resp.Body == nil || resp.Body == http.NoBody {
		return ""
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	resp.Body = readCloser{Reader: io.MultiReader(bytes.NewReader(b), resp.Body), Closer: resp.Body}
	if err != nil {
		return ""
	}
	var e struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(b, &e) != nil {
		return ""
	}
	return e.Message
}

// readCloser reads from one reader and closes another.
type readCloser struct {
	io.Reader
	io.Closer
}
