package org.sessiongrid.boot.sample;

import java.nio.charset.StandardCharsets;
import java.security.Principal;

import jakarta.servlet.http.HttpSession;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code /counter} adds one to the session's counter and answers {@code count=N node=X} with a
 * Content-Length, so the answer leaves only after the change was stored (as most frameworks answer);
 * {@code /me} names the logged-in user.
 */
@RestController
public class SampleController {

    private final String node;

    public SampleController(@Value("${sessiongrid.node-name:}") String node) {
        this.node = node;
    }

    @GetMapping("/counter")
    public ResponseEntity<byte[]> counter(HttpSession session) {
        Integer count = (Integer) session.getAttribute("count");
        int next = count == null ? 1 : count + 1;
        session.setAttribute("count", next);
        return text("count=" + next + " node=" + node);
    }

    @GetMapping("/me")
    public ResponseEntity<byte[]> me(Principal user) {
        return text("user=" + user.getName() + " node=" + node);
    }

    private static ResponseEntity<byte[]> text(String s) {
        byte[] body = s.getBytes(StandardCharsets.UTF_8);
        return ResponseEntity.ok().contentType(MediaType.TEXT_PLAIN).contentLength(body.length).body(body);
    }
}
