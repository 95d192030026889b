package org.sessiongrid.grid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sessiongrid.jgroups.StackLoader;
import org.sessiongrid.session.SessionDelta;
import org.sessiongrid.session.SessionRecord;

/**
 * Issue 18, point 3: the grid end to end on the {@code tls} stack (mutual TLS, member certificates
 * signed by the farm's CA, no cluster secret), and members whose certificate is untrusted or expired
 * refused, with the refusal shown to be the certificate's.
 */
class TlsGridTest {

    private static final String NS = "localhost/app";
    private static final String LOOPBACK = "127.0.0.1";

    @TempDir
    static Path dir;
    private static TlsCertificates certs;
    private static Path trust;
    private static Path memberA;
    private static Path memberB;
    private static Path expired;
    private static Path intruder;

    @BeforeAll
    static void certificates() throws Exception {
        assumeTrue(TlsCertificates.available(), "this JDK has no keytool");
        certs = new TlsCertificates(dir);
        trust = certs.truststore();
        // One certificate for both members (keytool runs are slow); a farm may share one too.
        memberA = certs.signed("member", false);
        memberB = memberA;
        expired = certs.signed("expired", true);
        intruder = certs.selfSigned("intruder");
    }

    @Test
    void theGridRunsOnTlsAndRefusesUntrustedAndExpiredCertificates() throws Exception {
        String cluster = "tls-" + UUID.randomUUID();
        int[] ports = {freePort(), freePort(), freePort(), freePort()};
        String hosts = Arrays.stream(ports).mapToObj(p -> LOOPBACK + "[" + p + "]").collect(Collectors.joining(","));
        SessionGrid a = SessionGrid.start(tls(cluster, "A", ports[0], hosts, memberA, trust).build());
        SessionGrid b = SessionGrid.start(tls(cluster, "B", ports[1], hosts, memberB, trust).build());
        SessionGrid outsider = null;
        SessionGrid late = null;
        try {
            Await.until("A and B share a topology", Duration.ofSeconds(60), () -> a.topology() != null
                    && b.topology() != null && a.topology().id() == b.topology().id()
                    && a.topology().current().members().size() == 2 && !a.topology().isRebalancing());
            // End to end: a session created at A, changed through B, read back at both.
            String id = a.store(NS).newLocalId(() -> UUID.randomUUID().toString());
            SessionRecord created = a.store(NS).create(id, SessionDelta.builder().maxInactiveInterval(1800)
                    .set("user", utf8("alice")).build());
            SessionRecord changed = b.store(NS).commit(id, SessionDelta.builder().set("cart", utf8("3 books")).build(),
                    b.store(NS).find(id, created));
            for (SessionGrid g : List.of(a, b)) {
                SessionRecord r = g.store(NS).find(id, null);
                assertNotNull(r, id + " through " + g.memberName());
                assertEquals(changed.version(), r.version());
                assertEquals("3 books", new String(r.attribute("cart"), StandardCharsets.UTF_8));
            }

            // Members whose certificate the farm does not accept start alone and stay alone.
            outsider = SessionGrid.start(tls(cluster, "Intruder", ports[2], hosts, intruder, trust).build());
            late = SessionGrid.start(tls(cluster, "Expired", ports[3], hosts, expired, trust).build());
            Set<String> seen = new HashSet<>();
            long until = System.nanoTime() + Duration.ofSeconds(6).toNanos();
            while (System.nanoTime() < until) {
                for (SessionGrid g : List.of(a, b)) {
                    g.node().transport().viewMembers().forEach(m -> seen.add(m.name()));
                }
                Thread.sleep(20);
            }
            assertEquals(Set.of("A", "B"), seen, "members A and B ever had in a view");
            assertEquals(List.of("Intruder"), names(outsider));
            assertEquals(List.of("Expired"), names(late));

            // The refusal is the certificate's: the same TLS handshake with A's port succeeds with B's
            // key and fails with the intruder's and the expired one's, and the farm's trust manager
            // says why.
            handshake(memberB, ports[0]);
            for (Path refused : List.of(intruder, expired)) {
                // Every attempt is refused. The member answers with an alert naming the certificate
                // (bad_certificate), which the client reads unless it was still writing its last
                // handshake flight when the member closed (then "Broken pipe"): try a few times.
                List<IOException> refusals = new java.util.ArrayList<>();
                for (int attempt = 0; attempt < 5; attempt++) {
                    refusals.add(assertThrows(IOException.class, () -> handshake(refused, ports[0])));
                }
                assertEquals(true, refusals.stream().anyMatch(e -> e instanceof SSLException
                        && String.valueOf(e.getMessage()).contains("certificate")), refusals.toString());
            }
            X509TrustManager farm = trustManager();
            farm.checkClientTrusted(chain(memberB), "EC");
            CertificateException untrusted = assertThrows(CertificateException.class,
                    () -> farm.checkClientTrusted(chain(intruder), "EC"));
            assertEquals(true, String.valueOf(untrusted.getMessage()).contains("PKIX path"), untrusted.toString());
            CertificateException old = assertThrows(CertificateException.class,
                    () -> farm.checkClientTrusted(chain(expired), "EC"));
            assertNotNull(causeOf(old, CertificateExpiredException.class), old.toString());
        } finally {
            for (SessionGrid g : new SessionGrid[] {late, outsider, b, a}) {
                if (g != null) {
                    g.halt();
                }
            }
        }
    }

    private static List<String> names(SessionGrid g) {
        return g.node().transport().viewMembers().stream().map(m -> m.name()).sorted().toList();
    }

    static GridConfig.Builder tls(String cluster, String name, int port, String hosts, Path keystore, Path trust) {
        return GridConfig.builder(cluster).stack("tls").nodeName(name).remoteTimeout(10_000)
                .stackProperty(StackLoader.BIND_ADDRESS, LOOPBACK).stackProperty(StackLoader.BIND_PORT, String.valueOf(port))
                .stackProperty(StackLoader.PORT_RANGE, "0").stackProperty(StackLoader.INITIAL_HOSTS, hosts)
                .stackProperty(StackLoader.MERGE_MIN_INTERVAL, "1000").stackProperty(StackLoader.MERGE_MAX_INTERVAL, "2000")
                .stackProperty(StackLoader.TLS_KEYSTORE_PATH, keystore.toString())
                .stackProperty(StackLoader.TLS_KEYSTORE_PASSWORD, TlsCertificates.PASSWORD)
                .stackProperty(StackLoader.TLS_TRUSTSTORE_PATH, trust.toString())
                .stackProperty(StackLoader.TLS_TRUSTSTORE_PASSWORD, TlsCertificates.PASSWORD);
    }

    /** A TLS handshake with a member's port, presenting {@code keystore}'s certificate and trusting the CA. */
    private static void handshake(Path keystore, int port) throws Exception {
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(TlsCertificates.load(keystore), TlsCertificates.PASSWORD.toCharArray());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(TlsCertificates.load(trust));
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(LOOPBACK, port)) {
            socket.setSoTimeout(2_000);
            socket.startHandshake();
            // TLS 1.3: the server checks the client's certificate after the client's Finished; a refusal
            // arrives as an alert ("bad_certificate") on the first read.
            try {
                socket.getInputStream().read();
            } catch (java.net.SocketTimeoutException stillOpen) {
                // accepted: the member waits for JGroups' preamble
            }
        }
    }

    private static X509TrustManager trustManager() throws Exception {
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(TlsCertificates.load(trust));
        return (X509TrustManager) tmf.getTrustManagers()[0];
    }

    private static X509Certificate[] chain(Path keystore) throws Exception {
        KeyStore ks = TlsCertificates.load(keystore);
        for (String alias : java.util.Collections.list(ks.aliases())) {
            if (ks.isKeyEntry(alias)) {
                return Arrays.stream(ks.getCertificateChain(alias)).map(c -> (X509Certificate) c)
                        .toArray(X509Certificate[]::new);
            }
        }
        throw new IllegalStateException("no key in " + keystore);
    }

    private static Throwable causeOf(Throwable t, Class<? extends Throwable> type) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (type.isInstance(c)) {
                return c;
            }
        }
        return null;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(LOOPBACK))) {
            return socket.getLocalPort();
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
