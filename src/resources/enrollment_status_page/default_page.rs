//! `autopilot_default_enrollment_status_page`: the settings of the tenant's default Enrollment Status Page ("All
//! users and all devices", priority 0), which Intune shows to every device no custom ESP targets. Intune never
//! creates, deletes or assigns it, and it always has the lowest priority, so this resource has only the ESP's
//! settings: create adopts the default ESP, an unset setting keeps the tenant's value, and destroy puts back the
//! default's documented settings (graph-api.md 2, "Default ESP").
//!
//! It reuses the ESP resource's model and mapping ([`Esp`]) and serves only the settings attributes, so the two
//! cannot describe or read a setting differently.

use std::time::Duration;

use async_trait::async_trait;

use super::{Esp, EspSettings};
use crate::graph::enrollment::is_default_esp_id;
use crate::resources::enrollment_status_page::assignments::Assignments;
use crate::resources::lifecycle::{Destroy, Failure, GraphResource, GraphResultExt, Op};
use crate::tfplugin::schema::PlanModifier;
use crate::tfplugin::{Attribute, DeclaredModel, Diagnostics, Field, Model, Timeouts, Value};

/// What the default ESP does not have: a name or description of its own, a priority, assignments, scope tags.
const NOT_ON_THE_DEFAULT: &[&str] = &[
    "display_name",
    "description",
    "priority",
    "role_scope_tag_ids",
    "assigned_group_ids",
    "excluded_group_ids",
    "assigned_to_all_devices",
    "assigned_to_all_users",
    "assignment_filter_id",
    "assignment_filter_mode",
];

/// The default ESP's settings: an [`Esp`] whose other attributes are always null.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DefaultEsp(Esp);

impl DefaultEsp {
    fn new(esp: Esp) -> DefaultEsp {
        DefaultEsp::from_value(&esp.to_value())
    }
}

impl Model for DefaultEsp {
    fn from_value(value: &Value) -> Self {
        let mut esp = Esp::from_value(value);
        esp.display_name = Field::Null;
        esp.description = Field::Null;
        esp.priority = Field::Null;
        esp.role_scope_tag_ids = Field::Null;
        esp.assigned_group_ids = Field::Null;
        esp.excluded_group_ids = Field::Null;
        esp.assigned_to_all_devices = Field::Null;
        esp.assigned_to_all_users = Field::Null;
        esp.assignment_filter_id = Field::Null;
        esp.assignment_filter_mode = Field::Null;
        DefaultEsp(esp)
    }

    fn to_value(&self) -> Value {
        match self.0.to_value() {
            Value::Object(mut attributes) => {
                for name in NOT_ON_THE_DEFAULT {
                    attributes.remove(*name);
                }
                Value::Object(attributes)
            }
            other => other,
        }
    }
}

impl DeclaredModel for DefaultEsp {
    /// The ESP's settings attributes, each optional and kept from the tenant when unset.
    fn attributes() -> Vec<Attribute> {
        Esp::attributes()
            .into_iter()
            .filter(|attribute| !NOT_ON_THE_DEFAULT.contains(&attribute.name.as_str()))
            .map(|attribute| {
                if attribute.name == "id" {
                    return Attribute {
                        description: "The default ESP's id (Graph `id`), \
                                      `{tenantId}_DefaultWindows10EnrollmentCompletionPageConfiguration`."
                            .to_string(),
                        ..attribute
                    };
                }
                Attribute {
                    description: format!(
                        "{} On the default ESP: when unset, the tenant's current value is kept.",
                        attribute.description
                    ),
                    required: false,
                    optional: true,
                    computed: true,
                    default: None,
                    plan_modifiers: vec![PlanModifier::UseStateForUnknown],
                    ..attribute
                }
            })
            .collect()
    }

    fn matches_plan(&self, plan: &Self) -> bool {
        self.0.matches_plan(&plan.0)
    }
}

/// `current` with every setting the plan knows written over it; name and description stay the default's.
fn overlay(mut current: EspSettings, plan: &Esp) -> EspSettings {
    let flag = |field: &Field<bool>, have: &mut bool| {
        if let Some(value) = field.known() {
            *have = *value;
        }
    };
    flag(
        &plan.show_installation_progress,
        &mut current.show_installation_progress,
    );
    flag(
        &plan.block_device_setup_retry_by_user,
        &mut current.block_device_setup_retry_by_user,
    );
    flag(
        &plan.allow_device_reset_on_install_failure,
        &mut current.allow_device_reset_on_install_failure,
    );
    flag(
        &plan.allow_log_collection_on_install_failure,
        &mut current.allow_log_collection_on_install_failure,
    );
    flag(
        &plan.allow_device_use_on_install_failure,
        &mut current.allow_device_use_on_install_failure,
    );
    flag(
        &plan.track_install_progress_for_autopilot_only,
        &mut current.track_install_progress_for_autopilot_only,
    );
    flag(
        &plan.disable_user_status_tracking_after_first_user,
        &mut current.disable_user_status_tracking_after_first_user,
    );
    flag(
        &plan.allow_non_blocking_app_installation,
        &mut current.allow_non_blocking_app_installation,
    );
    flag(
        &plan.install_quality_updates,
        &mut current.install_quality_updates,
    );
    if let Some(minutes) = plan.install_progress_timeout_in_minutes.known() {
        current.install_progress_timeout_in_minutes = Some(*minutes);
    }
    match &plan.custom_error_message {
        Field::Known(message) => current.custom_error_message = Some(message.clone()),
        Field::Null => current.custom_error_message = None,
        Field::Unknown => {}
    }
    if let Some(apps) = plan.selected_mobile_app_ids.known() {
        current.selected_mobile_app_ids = apps.iter().cloned().collect();
    }
    // Scope tags are not the default ESP's to change.
    current.role_scope_tag_ids = None;
    current
}

/// The default ESP's settings in a new tenant (graph-api.md 2). Its timeout reads 0 there, which Intune refuses
/// in a write (1 to 1440): unset (`null`) is written instead, Intune's 60-minute default.
fn documented_defaults(current: EspSettings) -> EspSettings {
    EspSettings {
        show_installation_progress: false,
        block_device_setup_retry_by_user: true,
        allow_device_reset_on_install_failure: false,
        allow_log_collection_on_install_failure: false,
        allow_device_use_on_install_failure: false,
        track_install_progress_for_autopilot_only: false,
        disable_user_status_tracking_after_first_user: false,
        allow_non_blocking_app_installation: false,
        install_quality_updates: false,
        install_progress_timeout_in_minutes: None,
        custom_error_message: Some(String::new()),
        selected_mobile_app_ids: Vec::new(),
        role_scope_tag_ids: None,
        ..current
    }
}

pub struct DefaultEnrollmentStatusPageResource;

impl DefaultEnrollmentStatusPageResource {
    /// The default ESP's id, found in the tenant's enrollment configurations (it embeds the tenant id).
    async fn default_id(&self, op: &Op<'_>) -> Result<String, Failure> {
        let configurations = op
            .graph()
            .list_enrollment_configurations(op.deadline)
            .await
            .with_context(|| {
                "listing enrollment configurations to find the default ESP".to_string()
            })?;
        configurations
            .into_iter()
            .map(|configuration| configuration.id)
            .find(|id| is_default_esp_id(id))
            .ok_or_else(|| {
                Failure::new(
                    "Default Enrollment Status Page Not Found",
                    "The tenant lists no default Enrollment Status Page (an id ending in \
                     _DefaultWindows10EnrollmentCompletionPageConfiguration); Intune creates it with the tenant.",
                )
            })
    }

    async fn current(&self, op: &Op<'_>, id: &str) -> Result<EspSettings, Failure> {
        let esp = op.graph().get_enrollment_status_page(id, op.deadline).await;
        match esp.with_context(|| format!("reading the default Enrollment Status Page {id}"))? {
            Some(esp) => Ok(esp.settings),
            None => Err(Failure::new(
                "Default Enrollment Status Page Not Found",
                format!("The default Enrollment Status Page {id} could not be read."),
            )),
        }
    }

    async fn write(&self, op: &Op<'_>, id: &str, settings: &EspSettings) -> Result<(), Failure> {
        op.graph()
            .update_enrollment_status_page(id, settings, op.deadline)
            .await
            .with_context(|| format!("updating the default Enrollment Status Page {id}"))
    }
}

#[async_trait]
impl GraphResource for DefaultEnrollmentStatusPageResource {
    type Model = DefaultEsp;

    const TYPE_NAME: &'static str = "autopilot_default_enrollment_status_page";
    const TITLE: &'static str = "Default Enrollment Status Page";
    const NOUN: &'static str = "default Enrollment Status Page";
    const DESCRIPTION: &'static str = "The settings of the tenant's default Enrollment Status Page (*All users and \
        all devices*, priority 0): the ESP every device gets when no custom ESP targets it or its user. Intune \
        never creates, deletes or assigns it and it always has the lowest priority, so this resource has only the \
        settings of `autopilot_enrollment_status_page`. Create adopts the default ESP and changes only the \
        settings the configuration sets; unset ones keep the tenant's values. Destroy puts back its documented \
        settings (page not shown, retry blocked, everything else off, no message or blocking apps; the timeout \
        becomes unset, Intune's 60 minutes). Import with the default ESP's id.";
    const TIMEOUTS: Timeouts =
        Timeouts::defaults(Duration::from_secs(5 * 60), Duration::from_secs(5 * 60));
    const IMPORT_ID: &'static str =
        "the default ESP's id (`{tenantId}_DefaultWindows10EnrollmentCompletionPageConfiguration`)";
    const DESTROY: Destroy = Destroy::Forgets;
    const IDENTITY_DESCRIPTION: &'static str =
        "The default ESP's id, `{tenantId}_DefaultWindows10EnrollmentCompletionPageConfiguration`.";

    fn id(model: &DefaultEsp) -> Option<&str> {
        model.0.id.as_deref()
    }

    fn set_id(model: &mut DefaultEsp, id: String) {
        model.0.id = Field::Known(id);
    }

    fn validate(&self, _config: &DefaultEsp, _diags: &mut Diagnostics) {}

    async fn fetch(
        &self,
        op: &Op<'_>,
        id: &str,
        like: &DefaultEsp,
    ) -> Result<Option<DefaultEsp>, Failure> {
        let esp = op.graph().get_enrollment_status_page(id, op.deadline).await;
        let Some(esp) =
            esp.with_context(|| format!("reading the default Enrollment Status Page {id}"))?
        else {
            return Ok(None);
        };
        Ok(Some(DefaultEsp::new(Esp::from_graph(
            &esp,
            &Assignments::default(),
            &like.0,
        ))))
    }

    async fn create(&self, op: &Op<'_>, plan: &DefaultEsp) -> Result<String, Failure> {
        let id = self.default_id(op).await?;
        let current = self.current(op, &id).await?;
        let wanted = overlay(current.clone(), &plan.0);
        if wanted != current {
            self.write(op, &id, &wanted).await?;
        }
        Ok(id)
    }

    async fn update(
        &self,
        op: &Op<'_>,
        id: &str,
        _prior: &DefaultEsp,
        plan: &DefaultEsp,
    ) -> Result<(), Failure> {
        let current = self.current(op, id).await?;
        let wanted = overlay(current.clone(), &plan.0);
        if wanted == current {
            return Ok(());
        }
        self.write(op, id, &wanted).await
    }

    async fn delete(&self, op: &Op<'_>, id: &str, _state: &DefaultEsp) -> Result<(), Failure> {
        let current = self.current(op, id).await?;
        let defaults = documented_defaults(current.clone());
        if defaults != current {
            self.write(op, id, &defaults).await?;
        }
        Ok(())
    }

    async fn import_id(&self, _op: &Op<'_>, raw: &str) -> Result<String, Failure> {
        let id = raw.trim();
        if is_default_esp_id(id) {
            Ok(id.to_string())
        } else {
            Err(Failure::new(
                "Invalid Import ID",
                format!(
                    "autopilot_default_enrollment_status_page imports the tenant's default ESP, whose id ends in \
                     _DefaultWindows10EnrollmentCompletionPageConfiguration; {id:?} is not one. A custom ESP is an \
                     autopilot_enrollment_status_page."
                ),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::lifecycle::Managed;
    use crate::resources::test_support::assert_every_attribute_is_documented;

    #[test]
    fn it_serves_only_the_settings_each_optional_and_documented() {
        let names: Vec<String> = DefaultEsp::attributes()
            .into_iter()
            .map(|a| a.name)
            .collect();
        for absent in NOT_ON_THE_DEFAULT {
            assert!(!names.contains(&absent.to_string()), "{absent}");
        }
        assert!(names.contains(&"show_installation_progress".to_string()));
        assert!(
            DefaultEsp::attributes()
                .iter()
                .all(|a| !a.required && a.default.is_none())
        );
        assert_every_attribute_is_documented(&Managed(DefaultEnrollmentStatusPageResource));
    }

    #[test]
    fn a_write_changes_only_known_settings_and_never_the_name_or_tags() {
        let current = EspSettings {
            display_name: Some("All users and all devices".into()),
            description: Some("default".into()),
            block_device_setup_retry_by_user: true,
            install_progress_timeout_in_minutes: Some(0),
            role_scope_tag_ids: Some(vec!["0".into()]),
            ..EspSettings::default()
        };
        let plan = Esp {
            show_installation_progress: Field::Known(true),
            install_progress_timeout_in_minutes: Field::Known(90),
            block_device_setup_retry_by_user: Field::Unknown,
            custom_error_message: Field::Unknown,
            ..Esp::default()
        };
        let written = overlay(current.clone(), &plan);
        assert!(written.show_installation_progress);
        assert!(
            written.block_device_setup_retry_by_user,
            "unknown keeps the tenant's value"
        );
        assert_eq!(written.install_progress_timeout_in_minutes, Some(90));
        assert_eq!(written.display_name, current.display_name);
        assert_eq!(written.description, current.description);
        assert_eq!(written.role_scope_tag_ids, None);
        let restored = documented_defaults(written);
        assert!(!restored.show_installation_progress && restored.block_device_setup_retry_by_user);
        assert_eq!(restored.install_progress_timeout_in_minutes, None);
        assert_eq!(restored.display_name, current.display_name);
    }
}
