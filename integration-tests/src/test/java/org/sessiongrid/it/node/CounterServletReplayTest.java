package org.sessiongrid.it.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.File;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;

import org.apache.catalina.Context;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.startup.Tomcat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fault nodes' servlet tells a second run of one request from a new one: the checker relies on it to count
 * a balancer's resend (a request the dying node applied, run again on another node) apart from a grid fault.
 * One Tomcat with its in-process sessions on loopback, shared by the tests (each makes its own sessions): the rule
 * is the servlet's, not the grid's.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CounterServletReplayTest {

    @TempDir
    static Path dir;
    private Tomcat tomcat;
    private String base;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    void start() throws Exception {
        tomcat = new Tomcat();
        tomcat.setBaseDir(dir.toString());
        Connector connector = new Connector();
        connector.setPort(0);
        connector.setProperty("address", InetAddress.getLoopbackAddress().getHostAddress());
        tomcat.setConnector(connector);
        File docBase = new File(dir.toFile(), "app");
        docBase.mkdirs();
        Context ctx = tomcat.addContext("/app", docBase.getAbsolutePath());
        Tomcat.addServlet(ctx, "counter", new CounterServlet());
        ctx.addServletMappingDecoded("/*", "counter");
        tomcat.start();
        base = "http://" + InetAddress.getLoopbackAddress().getHostAddress() + ":" + connector.getLocalPort() + "/app";
    }

    @AfterAll
    void stop() throws Exception {
        tomcat.stop();
        tomcat.destroy();
    }

    private String[] get(String path, String cookie) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path));
        if (cookie != null) {
            b.header("Cookie", "JSESSIONID=" + cookie);
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return r.body().trim().split(" ");
    }

    @Test
    void theSameRequestIdTwiceIsAnsweredReplayedAndAppliedAgain() throws Exception {
        String[] first = get("/inc?req=7-0", null);
        String id = first[1];
        assertEquals(3, first.length, String.join(" ", first));
        String[] next = get("/inc?pad=16&req=7-1", id);
        assertEquals("2", next[0]);
        assertEquals("earlier=7-0", next[3], String.join(" ", next));
        String[] again = get("/inc?pad=16&req=7-1", id); // what a balancer's resend looks like to the session
        assertEquals("3", again[0], "the servlet has no replay protection: the increment runs again");
        assertEquals("replayed", again[3], String.join(" ", again));
        assertEquals("earlier=7-1,7-0", again[4], String.join(" ", again));
        String[] later = get("/inc?req=7-2", id);
        assertEquals(4, later.length, String.join(" ", later));
    }

    @Test
    void theAnswerNamesTheLastFourRequestsTheSessionApplied() throws Exception {
        String id = get("/inc?req=8-0", null)[1];
        for (int seq = 1; seq <= 5; seq++) {
            get("/inc?req=8-" + seq, id);
        }
        String[] answer = get("/inc?req=8-6", id);
        assertEquals("7", answer[0]);
        assertEquals("earlier=8-5,8-4,8-3,8-2", answer[3], String.join(" ", answer));
    }

    @Test
    void withoutAnIdNothingIsKeptOrSaid() throws Exception {
        String id = get("/inc", null)[1];
        assertEquals(3, get("/inc", id).length);
        assertEquals(3, get("/inc", id).length);
    }
}
