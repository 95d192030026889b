package org.sessiongrid.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openqa.selenium.By;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The demo page in a real headless Chromium: the counter, where the session lives, the live members
 * and their picture, and the kill-a-node flow keeping the counter. Skipped (with the reason) where
 * Debian's chromium and chromium-driver are not installed; CI installs them (.ci/run).
 */
class DemoPageBrowserTest {

    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path DRIVER = Path.of("/usr/bin/chromedriver");

    @Test
    @Timeout(300)
    void pageShowsTheFarmAndKillingTheServingNodeKeepsTheCounter() throws Exception {
        assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(DRIVER),
                "no headless browser here: install it with 'apt-get install -y chromium chromium-driver'"
                        + " (Debian), as .ci/run does");
        try (DemoProcess demo = DemoProcess.start("demo-page-test")) {
            ChromeOptions options = new ChromeOptions();
            options.setBinary(CHROMIUM.toFile());
            Path profile = Files.createTempDirectory(demo.work, "chromium-profile");
            // Root in a container, no GPU, small /dev/shm, a closed network: no sandbox, no GPU, no
            // background downloads, a fresh profile.
            options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--no-first-run", "--user-data-dir=" + profile);
            ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(DRIVER.toFile())
                    .usingAnyFreePort().build();
            WebDriver browser = new ChromeDriver(service, options);
            try {
                // The page redraws its node table every second: elements found a moment ago go stale.
                WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(30));
                wait.ignoring(StaleElementReferenceException.class);
                browser.get(demo.url("/app/"));
                wait.until(b -> !text(b, "node").equals("-"));
                // The first GET made the session: counter 0.
                assertEquals("0", text(browser, "counter"));
                for (int i = 1; i <= 3; i++) {
                    browser.findElement(By.id("increment")).click();
                    String expected = String.valueOf(i);
                    wait.until(b -> text(b, "counter").equals(expected));
                }
                String served = text(browser, "node");
                wait.until(b -> text(b, "members").split(", ").length == 3 && !text(b, "primary").equals("-"));
                assertEquals(served, text(browser, "primary"), "a new session's primary is the node that made it");
                assertEquals(2, text(browser, "backups").split(", ").length, text(browser, "backups"));
                // The picture: one slice and one bar per member.
                wait.until(b -> b.findElements(By.cssSelector("#picture path.slice")).size() == 3);
                assertEquals(3, browser.findElements(By.cssSelector("#picture rect.bar")).size());

                // Kill -9 the node that served us, from the page.
                click(wait, By.cssSelector("#node-" + served + " button.kill"));
                wait.until(b -> b.findElement(By.cssSelector("#node-" + served + " td:nth-child(2)")).getText()
                        .equals("killed"));
                browser.findElement(By.id("increment")).click();
                wait.until(b -> text(b, "counter").equals("4"));
                assertNotEquals(served, text(browser, "node"), "the killed node cannot have served the request");
                wait.until(b -> text(b, "members").split(", ").length == 2
                        && b.findElements(By.cssSelector("#picture path.slice")).size() == 2);
                assertTrue(List.of(text(browser, "members").split(", ")).contains(text(browser, "node")));

                // Start it again: it rejoins and gets its share.
                click(wait, By.cssSelector("#node-" + served + " button.start"));
                new WebDriverWait(browser, Duration.ofSeconds(90)).ignoring(StaleElementReferenceException.class).until(b -> text(b, "members").split(", ").length == 3
                        && b.findElements(By.cssSelector("#picture path.slice")).size() == 3);
                browser.findElement(By.id("increment")).click();
                wait.until(b -> text(b, "counter").equals("5"));
                assertEquals("", text(browser, "error"));
            } finally {
                browser.quit();
                service.stop();
            }
        }
    }

    /** Finds and clicks in one step, again if the table was redrawn in between. */
    private static void click(WebDriverWait wait, By by) {
        wait.until(b -> {
            b.findElement(by).click();
            return true;
        });
    }

    private static String text(WebDriver b, String id) {
        return b.findElement(By.id(id)).getText().trim();
    }
}
