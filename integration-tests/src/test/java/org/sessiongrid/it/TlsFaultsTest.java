package org.sessiongrid.it;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.sessiongrid.it.check.Checker;
import org.sessiongrid.it.load.LoadClient;
import org.sessiongrid.it.rig.Farm;

/**
 * Fault 1 (kill -9 of one node, then of two at the same instant) on 5 Tomcat nodes over the shipped
 * {@code tls} stack instead of {@code tcp}: mutual TLS with member certificates from a CA made here, and
 * no cluster secret (TLS alone protects the farm; a member without a secret may listen on the namespace
 * addresses because its transport uses TLS). {@code failureDetectionTimeout} is the 10 s operations.md
 * asks for with {@code tls} (its transport's reconnects block other sends). In the full matrix only
 * ({@code -Pfault-matrix}): the default build runs the grid on {@code tls} in core's TlsGridTest.
 */
@Tag("full")
class TlsFaultsTest {

    private static final String PASSWORD = "changeit";

    @BeforeAll
    static void rigAllowed() {
        Assumptions.assumeFalse(Boolean.getBoolean("faults.skip"), "fault tests skipped (-Dfaults.skip=true)");
    }

    @Test
    void killOneNodeThenTwoAtTheSameInstantOnTls() throws Exception {
        Path keys = Path.of(System.getProperty("faults.work", "target/fault-work"), "tls-keys").toAbsolutePath();
        Map<String, String> settings = tlsSettings(keys);
        try (FaultRun run = FaultRun.start("fault 1 on tls: kill -9 one of 5, then two at once", Farm.Kind.TOMCAT, 5,
                settings, LoadClient.Mode.STICKY, LoadClient.Settings.defaults())) {
            TomcatFaultsTest.killOneThenTwoWithTheCoordinator(run);
            run.finish(new Checker());
        }
    }

    /** The tls stack's settings: one member key pair signed by a CA, a truststore holding the CA only. */
    private static Map<String, String> tlsSettings(Path dir) throws Exception {
        Files.createDirectories(dir);
        Path ca = dir.resolve("ca.p12");
        Path member = dir.resolve("member.p12");
        Path trust = dir.resolve("truststore.p12");
        for (Path p : List.of(ca, member, trust)) {
            Files.deleteIfExists(p);
        }
        keytool(dir, "-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=farm-ca",
                "-ext", "bc:c", "-validity", "30", "-keystore", ca.toString(), "-keypass", PASSWORD);
        keytool(dir, "-exportcert", "-rfc", "-alias", "ca", "-keystore", ca.toString(), "-file", dir.resolve("ca.crt").toString());
        keytool(dir, "-genkeypair", "-alias", "member", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=member",
                "-keystore", member.toString(), "-keypass", PASSWORD);
        keytool(dir, "-certreq", "-alias", "member", "-keystore", member.toString(), "-file", dir.resolve("member.csr").toString());
        keytool(dir, "-gencert", "-alias", "ca", "-keystore", ca.toString(), "-infile", dir.resolve("member.csr").toString(),
                "-outfile", dir.resolve("member.crt").toString(), "-rfc", "-validity", "2");
        keytool(dir, "-importcert", "-noprompt", "-alias", "ca", "-keystore", member.toString(), "-file",
                dir.resolve("ca.crt").toString());
        keytool(dir, "-importcert", "-alias", "member", "-keystore", member.toString(), "-file", dir.resolve("member.crt").toString());
        keytool(dir, "-importcert", "-noprompt", "-alias", "ca", "-keystore", trust.toString(), "-file",
                dir.resolve("ca.crt").toString());
        return Map.of("stack", "tls", "failureDetectionTimeout", "10000",
                // No cluster secret: the rig's secret file is overridden with an empty setting.
                "clusterSecretFile", "",
                "tls.keystorePath", member.toString(), "tls.keystorePassword", PASSWORD,
                "tls.truststorePath", trust.toString(), "tls.truststorePassword", PASSWORD);
    }

    private static void keytool(Path dir, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString()));
        cmd.addAll(List.of(args));
        cmd.addAll(List.of("-storetype", "PKCS12", "-storepass", PASSWORD));
        Path log = dir.resolve("keytool.log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IllegalStateException("keytool " + args[0] + " failed:\n" + Files.readString(log));
        }
    }
}
