package org.sessiongrid.grid;

import java.util.List;
import java.util.Objects;

/**
 * A grid member in a JVM of its own, for {@link ClusterSecretTest}: starts from its
 * {@code -Dsessiongrid.*} system properties, prints {@code members [a, b]} whenever its view
 * changes (and {@code refused <message>} if it cannot start), and runs until it is killed.
 */
public final class SecretMemberMain {

    private SecretMemberMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        SessionGrid grid;
        try {
            grid = SessionGrid.start(GridConfig.builder(null).setAll(System.getProperties()).build());
        } catch (RuntimeException e) {
            System.out.println("refused " + e.getMessage());
            System.out.flush();
            System.exit(3);
            return;
        }
        List<String> last = null;
        while (true) {
            List<String> members = grid.node().transport().viewMembers().stream().map(m -> m.name()).sorted().toList();
            if (!Objects.equals(members, last)) {
                System.out.println("members " + members);
                System.out.flush();
                last = members;
            }
            Thread.sleep(20);
        }
    }
}
