package auth

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"strings"
	"testing"
)

func TestParsePrivateKey(t *testing.T) {
	t.Parallel()

	key := newKey(t)
	pkcs1 := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
	der8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8 := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der8}))
	// A PKCS#1 key under the PKCS#8 label still parses, like jwt.ParseRSAPrivateKeyFromPEM.
	mislabelled := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))

	cases := []struct {
		name string
		in   string
	}{
		{"pkcs1", pkcs1},
		{"pkcs8", pkcs8},
		{"mislabelled pkcs1", mislabelled},
		{"literal backslash n", strings.ReplaceAll(pkcs1, "\n", `\n`)},
		{"literal backslash n pkcs8", strings.ReplaceAll(pkcs8, "\n", `\n`)},
		{"literal backslash r n", strings.ReplaceAll(pkcs1, "\n", `\r\n`)},
		{"crlf", strings.ReplaceAll(pkcs1, "\n", "\r\n")},
		{"surrounding whitespace", "\n\t  " + pkcs1 + "  \n\n"},
		{"double quotes", `"` + pkcs1 + `"`},
		{"single quotes and whitespace", "  '" + strings.TrimSpace(pkcs8) + "'\n"},
		{"quoted with literal newlines", `"` + strings.ReplaceAll(strings.TrimSpace(pkcs1), "\n", `\n`) + `"`},
		{"newlines folded into spaces", strings.ReplaceAll(pkcs1, "\n", " ")},
		{"no line breaks at all", strings.ReplaceAll(pkcs1, "\n", "")},
		{"whole file base64", base64.StdEncoding.EncodeToString([]byte(pkcs1))},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParsePrivateKey(tc.in)
			if err != nil {
				t.Fatalf("ParsePrivateKey: %v", err)
			}
			if !got.Equal(key) {
				t.Error("parsed a different key")
			}
		})
	}
}

func TestParsePrivateKeyErrors(t *testing.T) {
	t.Parallel()

	key := newKey(t)
	pkcs1 := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
	pub := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: mustPKIX(t, &key.PublicKey)}))
	rsaPub := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&key.PublicKey)}))

	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecDER, err := x509.MarshalECPrivateKey(ec)
	if err != nil {
		t.Fatal(err)
	}
	ec8DER, err := x509.MarshalPKCS8PrivateKey(ec)
	if err != nil {
		t.Fatal(err)
	}
	_, ed, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ed8DER, err := x509.MarshalPKCS8PrivateKey(ed)
	if err != nil {
		t.Fatal(err)
	}

	// Damage the DER in the middle without breaking the base64.
	der := x509.MarshalPKCS1PrivateKey(key)
	damagedDER := append([]byte(nil), der[:40]...)
	damaged := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: damagedDER}))

	lines := strings.Split(strings.TrimSpace(pkcs1), "\n")
	truncated := strings.Join(lines[:len(lines)/2], "\n")
	badBase64 := strings.Replace(pkcs1, lines[3], "!!!!"+lines[3][4:], 1)
	wrongEnd := strings.Replace(pkcs1, "-----END RSA PRIVATE KEY-----", "-----END PRIVATE KEY-----", 1)
	legacyEncrypted := string(pem.EncodeToMemory(&pem.Block{
		Type:    "RSA PRIVATE KEY",
		Headers: map[string]string{"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-256-CBC,00112233445566778899AABBCCDDEEFF"},
		Bytes:   der,
	}))

	cases := []struct {
		name string
		in   string
		want string
	}{
		{"empty", "", "no PEM block found; paste the whole .pem file including the BEGIN/END lines"},
		{"garbage", "hunter2-not-a-pem-at-all", "no PEM block found"},
		{"body without BEGIN/END", strings.Join(lines[1:len(lines)-1], "\n"), "no PEM block found"},
		{"truncated", truncated, "the PEM block is incomplete"},
		{"bad base64", badBase64, "damaged"},
		{"damaged DER", damaged, "damaged"},
		{"mismatched END", wrongEnd, "END line does not match"},
		{"EC SEC1", string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: ecDER})), "not an RSA key"},
		{"EC PKCS8", string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: ec8DER})), "not an RSA key (it is an ECDSA key)"},
		{"Ed25519 PKCS8", string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: ed8DER})), "not an RSA key (it is an Ed25519 key)"},
		{"public key", pub, "public key or certificate, not a private key"},
		{"RSA public key", rsaPub, "public key or certificate, not a private key"},
		{"PKCS8 encrypted", string(pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: der})), "encrypted with a passphrase"},
		{"legacy encrypted", legacyEncrypted, "encrypted with a passphrase"},
		{"OpenSSH", string(pem.EncodeToMemory(&pem.Block{Type: "OPENSSH PRIVATE KEY", Bytes: der})), "OpenSSH key"},
		{"unknown block", string(pem.EncodeToMemory(&pem.Block{Type: "DSA PRIVATE KEY", Bytes: der})), `unexpected PEM block "DSA PRIVATE KEY"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParsePrivateKey(tc.in)
			if err == nil {
				t.Fatalf("ParsePrivateKey succeeded (%T), want error", got)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "private-key: ") {
				t.Errorf("error %q does not name the input", msg)
			}
			if !strings.Contains(msg, tc.want) {
				t.Errorf("error %q does not contain %q", msg, tc.want)
			}
			if leak := leaked(msg, tc.in); leak != "" {
				t.Errorf("error %q contains part of the input: %q", msg, leak)
			}
		})
	}
}

// leaked returns a piece of the input's content (not its BEGIN/END lines, whose
// labels a message may name) of 8 characters or more that appears in msg.
func leaked(msg, in string) string {
	const window = 8
	for line := range strings.Lines(in) {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "-----") {
			continue
		}
		for i := 0; i+window <= len(line); i++ {
			if s := line[i : i+window]; strings.Contains(msg, s) {
				return s
			}
		}
	}
	return ""
}

func mustPKIX(t *testing.T, pub any) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return der
}
