package org.sessiongrid.grid;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rotation of the cluster secret that docs/configuration.md prescribes ("Rotating the secret"), done
 * as three rolling restarts of a 3-member grid over the tcp stack on loopback: no step splits the grid,
 * no session is lost, and afterwards a member holding only the old secret cannot join. A member that
 * missed the first roll cannot open what members in the second seal, which is why the docs prescribe
 * three rolls rather than one swap.
 */
class SecretRotationTest {

    private static final String OLD = "the-old-cluster-secret-of-this-test";
    private static final String NEW = "the-new-cluster-secret-of-this-test";

    @TempDir
    Path dir;

    @Test
    void threeRollingRestartsRotateTheSecretWithoutASplitOrALoss() throws Exception {
        try (RollingFarm farm = new RollingFarm(3)) {
            farm.start(secrets(OLD));
            farm.roll("the new secret added", secrets(OLD, NEW));
            farm.roll("the new secret first", secrets(NEW, OLD));
            farm.roll("the old secret removed", secrets(NEW));
            for (SessionGrid g : farm.members()) {
                assertEquals(0, g.stats().droppedByReason().getOrDefault("other-secret", 0L),
                        g.memberName() + " refused a message during the rotation: " + g.stats().droppedByReason());
            }

            SessionGrid stale = farm.startOutsider(secrets(OLD));
            awaitRefusals(farm.member(0));
            farm.assertApart(stale);
        }
    }

    @Test
    void aMemberThatMissedTheFirstRollStaysOut() throws Exception {
        try (RollingFarm farm = new RollingFarm(2)) {
            // The farm is in the second roll (sealing with the new secret); the outsider never opened it.
            farm.start(secrets(NEW, OLD));
            SessionGrid behind = farm.startOutsider(secrets(OLD));
            // The farm still opens the old secret; it is the one left behind that refuses.
            awaitRefusals(behind);
            farm.assertApart(behind);
        }
    }

    /** Waits until {@code refuser} has refused messages sealed with a secret it lacks (so the outsider has tried). */
    private static void awaitRefusals(SessionGrid refuser) {
        Await.until(refuser.memberName() + " refuses messages sealed with a secret it lacks", Duration.ofSeconds(60),
                () -> refuser.stats().droppedByReason().getOrDefault("other-secret", 0L) >= 3,
                () -> "drops " + refuser.stats().droppedByReason());
    }

    /** Members' configuration with {@code lines} as the lines of their clusterSecretFile. */
    private RollingFarm.MemberConfig secrets(String... lines) {
        return (cluster, name, port, hosts) -> {
            Path file = dir.resolve("secret-" + name);
            Files.write(file, List.of(lines), StandardCharsets.UTF_8);
            return ClusterSecretTest.tcp(cluster, name, port, hosts).clusterSecretFile(file.toString());
        };
    }
}
