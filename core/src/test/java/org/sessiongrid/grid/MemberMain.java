package org.sessiongrid.grid;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;

import org.sessiongrid.session.SessionRecord;

/**
 * A grid member in a JVM of its own ({@link MemberProcess}): starts from its {@code -Dsessiongrid.*}
 * system properties, prints {@code members [a, b]} whenever its view changes (and {@code refused
 * <message>} if it cannot start), and answers commands on stdin until it is killed:
 * {@code read <namespace> <id>} prints {@code read <id> <attribute v as UTF-8>}, {@code read <id> missing}
 * or {@code read <id> unavailable <reason>}.
 */
public final class MemberMain {

    private MemberMain() {
    }

    public static void main(String[] args) throws IOException {
        SessionGrid grid;
        try {
            grid = SessionGrid.start(GridConfig.builder(null).setAll(System.getProperties()).build());
        } catch (RuntimeException e) {
            print("refused " + e.getMessage());
            System.exit(3);
            return;
        }
        Thread views = new Thread(() -> printViews(grid), "views");
        views.setDaemon(true);
        views.start();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            String[] words = line.trim().split(" ");
            if (words.length == 3 && words[0].equals("read")) {
                print("read " + words[2] + " " + read(grid, words[1], words[2]));
            }
        }
    }

    private static String read(SessionGrid grid, String namespace, String id) {
        try {
            SessionRecord r = grid.store(namespace).find(id, null);
            byte[] v = r == null ? null : r.attribute("v");
            return v == null ? "missing" : new String(v, StandardCharsets.UTF_8);
        } catch (GridException e) {
            return "unavailable " + e.getMessage().replace('\n', ' ');
        }
    }

    private static void printViews(SessionGrid grid) {
        List<String> last = null;
        while (true) {
            List<String> members = grid.node().transport().viewMembers().stream().map(m -> m.name()).sorted().toList();
            if (!Objects.equals(members, last)) {
                print("members " + members);
                last = members;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private static synchronized void print(String line) {
        System.out.println(line);
        System.out.flush();
    }
}
