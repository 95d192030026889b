package org.sessiongrid.boot.actuate;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Optional;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.sessiongrid.grid.GridConfig;
import org.sessiongrid.grid.SessionGrid;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

/**
 * The health status follows whether the member serves, not only whether it exists: a member that refuses
 * its sessions' requests must not be reported UP to a readiness probe. The refusals themselves (partition,
 * pause) are core's tests; here a real one-member grid, running and then stopped under the web server.
 */
class SessionGridHealthIndicatorTest {

    @Test
    void upWhileTheMemberServesOutOfServiceWhileItRefusesDownWithoutOne() {
        SessionGrid grid = SessionGrid.start(GridConfig.builder("health-" + UUID.randomUUID()).stack("test-loopback")
                .nodeName("n1").build());
        try {
            SessionGridHealthIndicator indicator = new SessionGridHealthIndicator(() -> Optional.of(grid));
            Health up = indicator.health();
            assertEquals(Status.UP, up.getStatus(), up.toString());
            assertEquals("n1", up.getDetails().get("member"));

            grid.close();
            Health refusing = indicator.health();
            assertEquals(Status.OUT_OF_SERVICE, refusing.getStatus(), refusing.toString());
            assertEquals("stopped", refusing.getDetails().get("refusal"));
        } finally {
            grid.halt();
        }
        Health down = new SessionGridHealthIndicator(Optional::empty).health();
        assertEquals(Status.DOWN, down.getStatus());
    }
}
