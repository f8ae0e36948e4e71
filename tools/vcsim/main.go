// bnfc-vcsim: a vSphere API test server (govmomi's simulator) whose hosts are esxsim hosts.
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math/big"
	"net"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// selfSignedCert is a fresh certificate for the listen address; clients pin its thumbprint.
func selfSignedCert(host string) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "bnfc-vcsim", Organization: []string{"backupnfc test"}},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")},
	}
	if ip := net.ParseIP(host); ip != nil && !ip.IsLoopback() {
		tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

// Thumbprint is SHA-256 of the DER certificate as colon-separated upper-case hex.
func Thumbprint(der []byte) string {
	sum := sha256.Sum256(der)
	h := strings.ToUpper(hex.EncodeToString(sum[:]))
	var parts []string
	for i := 0; i < len(h); i += 2 {
		parts = append(parts, h[i:i+2])
	}
	return strings.Join(parts, ":")
}

func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".vcsim-info-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func randomPassword() string {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		log.Fatalf("random: %v", err)
	}
	return hex.EncodeToString(b)
}

func defaultEsxsim() string {
	if exe, err := os.Executable(); err == nil {
		return filepath.Join(filepath.Dir(exe), "esxsim")
	}
	return "esxsim"
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("bnfc-vcsim: ")
	listen := flag.String("listen", "127.0.0.1:0", "address:port to serve https on")
	inventory := flag.String("inventory", "", "inventory JSON file (hosts backed by esxsim)")
	infoFile := flag.String("info-file", "", "where to write {url, thumbprint, username, password} once listening")
	username := flag.String("username", "bnfc", "the one accepted user name")
	password := flag.String("password", "", "its password (default: random, see --info-file)")
	generate := flag.Int("generate-hosts", 0, "N in-memory hosts (for benchmarks)")
	esxsim := flag.String("esxsim", defaultEsxsim(), "esxsim binary for inventory hosts given by state file")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: bnfc-vcsim --listen 127.0.0.1:0 --inventory FILE "+
			"--info-file FILE [--username U --password P] [--generate-hosts N]\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 0 {
		log.Fatalf("unexpected argument %q", flag.Arg(0))
	}
	if *infoFile == "" {
		log.Fatalf("--info-file is required")
	}
	if *inventory == "" && *generate <= 0 {
		log.Fatalf("nothing to serve: give --inventory FILE and/or --generate-hosts N")
	}
	if *generate < 0 || *generate > 64000 {
		log.Fatalf("--generate-hosts: %d is out of range 0..64000", *generate)
	}
	host, _, err := net.SplitHostPort(*listen)
	if err != nil {
		log.Fatalf("--listen %q: %v", *listen, err)
	}
	if *password == "" {
		*password = randomPassword()
	}

	dc := "dc1"
	var specs []HostSpec
	if *inventory != "" {
		inv, err := LoadInventory(*inventory)
		if err != nil {
			log.Fatal(err)
		}
		dc = inv.Datacenter
		for _, h := range inv.Hosts {
			var b Backend
			if h.Esxsim.State != "" {
				b = NewStateBackend(*esxsim, h.Esxsim.State)
			} else {
				b = NewCommandBackend(h.Esxsim.Command)
			}
			specs = append(specs, HostSpec{Name: h.Name, Cluster: h.Cluster, Backend: b})
		}
	}
	for i := 0; i < *generate; i++ {
		specs = append(specs, HostSpec{Name: fmt.Sprintf("gen-esx%05d", i+1),
			Cluster: fmt.Sprintf("gen-cluster%03d", i/64+1),
			Backend: NewMemoryBackend(GeneratedFacts(i))})
	}

	model, err := NewModel()
	if err != nil {
		log.Fatalf("model: %v", err)
	}
	defer model.Remove()
	if err := BuildInventory(model, dc, specs); err != nil {
		log.Fatal(err)
	}
	cert, err := selfSignedCert(host)
	if err != nil {
		log.Fatalf("certificate: %v", err)
	}
	model.Service.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	model.Service.Listen = &url.URL{Host: *listen, User: url.UserPassword(*username, *password)}
	server := model.Service.NewServer()

	u := *server.URL
	u.User = nil
	info, _ := json.MarshalIndent(map[string]string{
		"url":        u.String(),
		"thumbprint": Thumbprint(cert.Certificate[0]),
		"username":   *username,
		"password":   *password,
	}, "", "  ")
	if err := writeFileAtomic(*infoFile, append(info, '\n'), 0600); err != nil {
		log.Fatalf("--info-file: %v", err)
	}
	log.Printf("serving %s (%d hosts in %s)", u.String(), len(specs), dc)

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
	log.Printf("stopping")
	// Close waits for open connections; a client that keeps one idle must not hold us up.
	done := make(chan struct{})
	go func() { server.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
	}
}
