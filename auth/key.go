package auth

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"
)

// The messages below are fixed strings on purpose: the input is a secret, so
// nothing derived from it (not even an x509 or asn1 error, which can quote
// tags and lengths read from the key) may end up in an error, a log or a job
// summary.
var (
	errNoPEM = badKey("no PEM block found; paste the whole .pem file " +
		"including the BEGIN/END lines")
	errTruncated = badKey("the PEM block is incomplete (its END line is missing); " +
		"paste the whole .pem file including the BEGIN/END lines")
	errMismatchedEnd = badKey("the END line does not match the BEGIN line; " +
		"paste the whole .pem file as downloaded")
	errDamaged = badKey("the key data between the BEGIN/END lines is damaged and cannot be decoded; " +
		"paste the whole .pem file again, or generate a new private key in the App's settings")
	errEncrypted = badKey("the key is encrypted with a passphrase; " +
		"use the unencrypted .pem file GitHub generates in the App's settings")
	errPublic = badKey("this is a public key or certificate, not a private key; " +
		"paste the private key .pem file generated in the App's settings")
	errOpenSSH = badKey("this is an OpenSSH key, not a GitHub App key; " +
		"generate a private key in the App's settings and paste the downloaded .pem file")
)

// label is what a well-formed BEGIN line can carry; only such a label is
// echoed in an error (it names a format, it is not key material).
var label = regexp.MustCompile(`^[A-Z0-9 ]{1,40}$`)

// ParsePrivateKey parses a GitHub App private key.
//
// It accepts the PKCS#1 PEM GitHub hands out and PKCS#8 PEM, and it forgives
// what happens to a key on its way into a secret: literal `\n` sequences instead
// of newlines, CRLF line ends, newlines folded into spaces, surrounding
// whitespace or quotes, and the whole file base64-encoded once more. Errors are
// *InputError: they say what is wrong and never contain any part of the key.
func ParsePrivateKey(s string) (*rsa.PrivateKey, error) {
	text := normalizeKeyText(s)
	if !strings.Contains(text, "-----BEGIN ") {
		// Some people store base64 of the .pem file to keep newlines out of
		// the secret; accept that, once.
		dec, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(text), ""))
		if err != nil || !strings.Contains(string(dec), "-----BEGIN ") {
			return nil, errNoPEM
		}
		text = normalizeKeyText(string(dec))
	}

	kind, der, err := decodePEM(text)
	if err != nil {
		return nil, err
	}

	switch kind {
	case "RSA PRIVATE KEY", "PRIVATE KEY":
		// Try both encodings whatever the label says, as
		// jwt.ParseRSAPrivateKeyFromPEM does: a mislabelled key is still the
		// right key.
		var parsed any
		if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
			parsed = k
		} else if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
			parsed = k
		} else {
			return nil, errDamaged
		}
		switch k := parsed.(type) {
		case *rsa.PrivateKey:
			return k, nil
		case *ecdsa.PrivateKey:
			return nil, badKey("not an RSA key (it is an ECDSA key); GitHub App keys are RSA: " +
				"generate a private key in the App's settings and paste the downloaded .pem file")
		case ed25519.PrivateKey:
			return nil, badKey("not an RSA key (it is an Ed25519 key); GitHub App keys are RSA: " +
				"generate a private key in the App's settings and paste the downloaded .pem file")
		default:
			return nil, badKey("not an RSA key; GitHub App keys are RSA: " +
				"generate a private key in the App's settings and paste the downloaded .pem file")
		}
	case "EC PRIVATE KEY":
		return nil, badKey("not an RSA key (it is an EC key); GitHub App keys are RSA: " +
			"generate a private key in the App's settings and paste the downloaded .pem file")
	case "ENCRYPTED PRIVATE KEY":
		return nil, errEncrypted
	case "OPENSSH PRIVATE KEY":
		return nil, errOpenSSH
	case "PUBLIC KEY", "RSA PUBLIC KEY", "CERTIFICATE":
		return nil, errPublic
	}
	if label.MatchString(kind) {
		return nil, badKey(fmt.Sprintf("unexpected PEM block %q; expected \"RSA PRIVATE KEY\" (as GitHub "+
			"generates it) or \"PRIVATE KEY\" (PKCS#8)", kind))
	}
	return nil, badKey(`unexpected PEM block; expected "RSA PRIVATE KEY" (as GitHub ` +
		`generates it) or "PRIVATE KEY" (PKCS#8)`)
}

// normalizeKeyText undoes what secret stores and YAML do to a pasted key.
func normalizeKeyText(s string) string {
	s = strings.TrimSpace(s)
	for len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		s = strings.TrimSpace(s[1 : len(s)-1])
	}
	// Base64 has no backslash, so a literal \n can only be an escaped newline.
	s = strings.NewReplacer(`\r\n`, "\n", `\n`, "\n", `\r`, "\n", "\r\n", "\n", "\r", "\n").Replace(s)
	return s
}

// decodePEM finds the first BEGIN/END pair and decodes the base64 between them.
//
// It does not use pem.Decode because that needs the line structure intact;
// here any whitespace (or none) between base64 characters is fine, so a key
// whose newlines were folded into spaces still parses.
func decodePEM(text string) (kind string, der []byte, err error) {
	const begin, dashes = "-----BEGIN ", "-----"
	i := strings.Index(text, begin)
	if i < 0 {
		return "", nil, errNoPEM
	}
	rest := text[i+len(begin):]
	j := strings.Index(rest, dashes)
	if j < 0 {
		return "", nil, errTruncated
	}
	kind, rest = rest[:j], rest[j+len(dashes):]
	k := strings.Index(rest, "-----END "+kind+dashes)
	if k < 0 {
		if strings.Contains(rest, "-----END ") {
			return "", nil, errMismatchedEnd
		}
		return "", nil, errTruncated
	}
	body := rest[:k]

	// RFC 1421 headers ("Proc-Type: 4,ENCRYPTED", "DEK-Info: ...") come
	// before the base64; a colon never occurs in base64.
	var b64 strings.Builder
	for line := range strings.SplitSeq(body, "\n") {
		if name, value, ok := strings.Cut(line, ":"); ok {
			if strings.EqualFold(strings.TrimSpace(name), "Proc-Type") && strings.Contains(value, "ENCRYPTED") {
				return "", nil, errEncrypted
			}
			continue
		}
		for _, f := range strings.Fields(line) {
			b64.WriteString(f)
		}
	}
	der, err = base64.StdEncoding.DecodeString(b64.String())
	if err != nil || len(der) == 0 {
		return "", nil, errDamaged
	}
	return kind, der, nil
}
