package org.sessiongrid.grid;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The replacement of the farm's CA on the {@code tls} stack as docs/operations.md prescribes it
 * ("Certificates on the tls stack"), done as three rolling restarts of a 3-member grid: trust both CAs,
 * then present certificates from the new one, then trust only the new one. No step splits the grid or
 * loses the session; afterwards a member with a certificate from the old CA stays apart, and so does a
 * member that presents a new certificate before the farm trusts the new CA (the step order matters).
 */
class CaRotationTest {

    @TempDir
    static Path dir;
    private static Path oldCert;
    private static Path newCert;
    private static Path trustOld;
    private static Path trustBoth;
    private static Path trustNew;

    @BeforeAll
    static void certificates() throws Exception {
        assumeTrue(TlsCertificates.available(), "this JDK has no keytool");
        TlsCertificates oldCa = new TlsCertificates(dir, "old-ca");
        TlsCertificates newCa = new TlsCertificates(dir, "new-ca");
        oldCert = oldCa.signed("member-old-ca", false);
        newCert = newCa.signed("member-new-ca", false);
        trustOld = TlsCertificates.truststore(dir.resolve("trust-old.p12"), oldCa);
        trustBoth = TlsCertificates.truststore(dir.resolve("trust-both.p12"), oldCa, newCa);
        trustNew = TlsCertificates.truststore(dir.resolve("trust-new.p12"), newCa);
    }

    @Test
    void threeRollingRestartsReplaceTheCaWithoutASplitOrALoss() throws Exception {
        try (RollingFarm farm = new RollingFarm(3)) {
            farm.start(member(oldCert, trustOld));
            farm.roll("the new CA trusted", member(oldCert, trustBoth));
            farm.roll("certificates from the new CA", member(newCert, trustBoth));
            farm.roll("the old CA no longer trusted", member(newCert, trustNew));

            farm.assertApart(farm.startOutsider(member(oldCert, trustBoth)));
        }
    }

    @Test
    void aCertificateFromTheNewCaBeforeTheFarmTrustsItStaysApart() throws Exception {
        try (RollingFarm farm = new RollingFarm(2)) {
            farm.start(member(oldCert, trustOld));
            farm.assertApart(farm.startOutsider(member(newCert, trustBoth)));
        }
    }

    private static RollingFarm.MemberConfig member(Path keystore, Path trust) {
        return (cluster, name, port, hosts) -> TlsGridTest.tls(cluster, name, port, hosts, keystore, trust);
    }
}
