package org.sessiongrid.boot;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.catalina.core.StandardContext;
import org.apache.catalina.core.StandardEngine;
import org.apache.catalina.core.StandardHost;
import org.apache.catalina.startup.Tomcat;
import org.junit.jupiter.api.Test;
import org.sessiongrid.boot.actuate.SessionGridActuatorAutoConfiguration;
import org.sessiongrid.boot.actuate.SessionGridHealthIndicator;
import org.sessiongrid.boot.actuate.SessionGridInfoContributor;
import org.sessiongrid.boot.actuate.SessionGridMeters;
import org.sessiongrid.boot.jetty.SessionGridJettyCustomizer;
import org.sessiongrid.boot.tomcat.SessionGridTomcatCustomizer;
import org.sessiongrid.tomcat.SessionGridManager;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;

/**
 * The auto-configuration's decisions, in application contexts without a server: the manager with the
 * application's settings on the Tomcat context, the Jetty server's set-up without Tomcat, the off switch, the stop without a cluster name, and the
 * actuator parts.
 */
class SessionGridAutoConfigurationTest {

    private final WebApplicationContextRunner web = new WebApplicationContextRunner().withConfiguration(
            AutoConfigurations.of(SessionGridAutoConfiguration.class, SessionGridActuatorAutoConfiguration.class));

    @Test
    void installsTheManagerWithTheSettingsAndTheNodeNameAsJvmRoute() {
        web.withPropertyValues("sessiongrid.cluster-name=shop", "sessiongrid.node-name=n1", "sessiongrid.num-owners=2",
                "sessiongrid.initial-hosts=127.0.0.1[7800]").run(ctx -> {
                    assertThat(ctx).hasSingleBean(SessionGridTomcatCustomizer.class);
                    assertThat(ctx).doesNotHaveBean(SessionGridJettyCustomizer.class); // Boot starts Tomcat
                    StandardEngine engine = new StandardEngine();
                    StandardHost host = new StandardHost();
                    host.setName("localhost");
                    engine.addChild(host);
                    StandardContext context = new StandardContext();
                    context.setPath("");
                    context.setName("");
                    host.addChild(context);
                    ctx.getBean(SessionGridTomcatCustomizer.class).customize(context);
                    assertThat(context.getManager()).isInstanceOf(SessionGridManager.class);
                    SessionGridManager m = (SessionGridManager) context.getManager();
                    assertThat(m.getClusterName()).isEqualTo("shop");
                    assertThat(m.getNumOwners()).isEqualTo("2");
                    assertThat(engine.getJvmRoute()).isEqualTo("n1");
                    // Not started yet: the actuator reads no grid.
                    assertThat(ctx.getBean(SessionGridHandle.class).grid()).isEmpty();
                });
    }

    @Test
    void withoutTomcatTheJettyServerIsSetUp() {
        web.withClassLoader(new FilteredClassLoader(Tomcat.class)).withPropertyValues("sessiongrid.cluster-name=shop")
                .run(ctx -> {
                    assertThat(ctx).hasSingleBean(SessionGridJettyCustomizer.class);
                    assertThat(ctx).doesNotHaveBean(SessionGridTomcatCustomizer.class);
                    assertThat(ctx).hasSingleBean(SessionGridHealthIndicator.class);
                });
    }

    @Test
    void sessiongridEnabledFalseLeavesTheContainerAlone() {
        web.withPropertyValues("sessiongrid.enabled=false", "sessiongrid.cluster-name=shop").run(ctx -> {
            assertThat(ctx).hasNotFailed();
            assertThat(ctx).doesNotHaveBean(SessionGridHandle.class);
            assertThat(ctx).doesNotHaveBean(SessionGridHealthIndicator.class);
            assertThat(ctx).doesNotHaveBean(SessionGridMeters.class);
        });
    }

    @Test
    void aMissingClusterNameStopsTheApplicationNamingTheProperty() {
        web.run(ctx -> {
            assertThat(ctx).hasFailed();
            assertThat(ctx.getStartupFailure()).rootCause().hasMessageContaining("sessiongrid.cluster-name")
                    .hasMessageContaining("sessiongrid.enabled=false");
        });
    }

    @Test
    void theActuatorPartsComeWithTheGridAndTheHealthIndicatorHasItsSwitch() {
        web.withPropertyValues("sessiongrid.cluster-name=shop").run(ctx -> {
            assertThat(ctx).hasSingleBean(SessionGridHealthIndicator.class);
            assertThat(ctx).hasSingleBean(SessionGridInfoContributor.class);
            assertThat(ctx).hasSingleBean(SessionGridMeters.class);
        });
        web.withPropertyValues("sessiongrid.cluster-name=shop", "management.health.sessiongrid.enabled=false")
                .run(ctx -> assertThat(ctx).doesNotHaveBean(SessionGridHealthIndicator.class));
    }

    @Test
    void aNonWebApplicationGetsNothing() {
        new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(SessionGridAutoConfiguration.class,
                        SessionGridActuatorAutoConfiguration.class))
                .run(ctx -> {
                    assertThat(ctx).hasNotFailed();
                    assertThat(ctx).doesNotHaveBean(SessionGridHandle.class);
                });
    }
}
