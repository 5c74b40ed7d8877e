//! The one lifecycle every Graph-backed resource follows. A resource describes its Graph steps ([`GraphResource`]:
//! fetch by id, create, update, delete, optional after-write steps); [`Managed`] turns them into a Terraform
//! resource and owns everything they have in common:
//! - deadlines: the typed [`Timeouts`] of the `timeouts` block bound each operation, and no model carries the block;
//! - after every write, the wait until Graph serves the object the way the plan says (which also waits out the
//!   seconds in which a new object still 404s), so the next refresh never reads a replica that has not caught up;
//! - partial state after a failed create, so nothing Graph created is orphaned;
//! - after a delete, the wait until the object no longer reads back (Graph's deletes lag behind their 204);
//! - import by id, and the error when nothing has that id;
//! - turning a [`Failure`] into a diagnostic, once, here at the edge. The steps themselves return `Result`.

use std::fmt::Display;
use std::sync::Mutex;

use async_trait::async_trait;

use crate::graph::{Deadline, GraphClient, GraphError, consistency};
use crate::resources::{ProviderData, unfinished};
use crate::rules::guid::is_guid;
use crate::tfplugin::model::DeclaredModel;
use crate::tfplugin::timeouts::{self, Operation};
use crate::tfplugin::{
    AttrPath, Block, Ctx, Diagnostics, IdentitySchema, Model, Nesting, PlanRequest, Resource,
    Schema, StopSignal, Timeouts, Value,
};

/// Why a step failed, as the user will read it: the summary (by default "Error <Verb> <Title>"), a detail that
/// says what failed on which object with Graph's code, message and request id, and the attribute to blame.
#[derive(Debug)]
pub struct Failure {
    summary: Option<String>,
    detail: String,
    attribute: Option<AttrPath>,
    /// The id of an object the failed step did create (e.g. a group whose members could not all be bound), so
    /// the lifecycle keeps it in state.
    created_id: Option<String>,
}

impl Failure {
    /// A Graph request failed while doing `action` (e.g. "creating group \"Sales\"").
    pub fn graph(action: impl Display, error: &GraphError) -> Failure {
        Failure {
            summary: None,
            detail: format!("{action}: {error}"),
            attribute: None,
            created_id: error.created_id().map(str::to_string),
        }
    }

    /// A refusal of the provider's own, with its own summary.
    pub fn new(summary: impl Into<String>, detail: impl Into<String>) -> Failure {
        Failure {
            summary: Some(summary.into()),
            detail: detail.into(),
            attribute: None,
            created_id: None,
        }
    }

    /// Replaces the default summary.
    pub fn summary(mut self, summary: impl Into<String>) -> Failure {
        self.summary = Some(summary.into());
        self
    }

    /// Points the diagnostic at an attribute.
    pub fn at(mut self, attribute: AttrPath) -> Failure {
        self.attribute = Some(attribute);
        self
    }

    /// Records that the object `id` exists although the step failed.
    pub fn created(mut self, id: impl Into<String>) -> Failure {
        self.created_id = Some(id.into());
        self
    }

    pub fn detail(&self) -> &str {
        &self.detail
    }

    pub(crate) fn report(self, default_summary: &str, diags: &mut Diagnostics) {
        let summary = self.summary.unwrap_or_else(|| default_summary.to_string());
        match self.attribute {
            Some(path) => diags.attribute_error(path, summary, self.detail),
            None => diags.error(summary, self.detail),
        }
    }
}

/// `result.with_context(|| format!("reading group {id}"))?` turns a Graph error into a [`Failure`] that says
/// what was being done.
pub trait GraphResultExt<T> {
    fn with_context<A: Display>(self, action: impl FnOnce() -> A) -> Result<T, Failure>;
}

impl<T> GraphResultExt<T> for Result<T, GraphError> {
    fn with_context<A: Display>(self, action: impl FnOnce() -> A) -> Result<T, Failure> {
        self.map_err(|error| Failure::graph(action(), &error))
    }
}

/// What every step receives: the provider's data, the deadline of the whole operation and the stop signal.
pub struct Op<'a> {
    pub data: &'a ProviderData,
    pub deadline: Deadline,
    pub timeouts: Timeouts,
    stop: &'a StopSignal,
    warnings: Mutex<Diagnostics>,
}

impl<'a> Op<'a> {
    pub(crate) fn new(
        ctx: &'a Ctx<ProviderData>,
        timeouts: Timeouts,
        operation: Operation,
    ) -> Op<'a> {
        Op {
            data: &ctx.data,
            deadline: Deadline::after(timeouts.of(operation)),
            timeouts,
            stop: &ctx.stop,
            warnings: Mutex::new(Diagnostics::new()),
        }
    }

    pub fn graph(&self) -> &GraphClient {
        &self.data.graph
    }

    /// Runs a Graph operation (typically a wait) unless Terraform asks the provider to stop first (Ctrl-C).
    pub async fn until_stopped<T>(
        &self,
        operation: impl Future<Output = Result<T, GraphError>>,
    ) -> Result<T, GraphError> {
        tokio::select! {
            result = operation => result,
            _ = self.stop.stopped() => Err(GraphError::Cancelled),
        }
    }

    /// Adds a warning diagnostic to the operation's answer.
    pub fn warn(&self, summary: impl Into<String>, detail: impl Into<String>) {
        if let Ok(mut warnings) = self.warnings.lock() {
            warnings.warning(summary, detail);
        }
    }

    fn into_warnings(self) -> Diagnostics {
        self.warnings.into_inner().unwrap_or_default()
    }
}

/// A resource backed by one Graph object, described by its Graph steps. The lifecycle ([`Managed`]) calls them.
#[async_trait]
pub trait GraphResource: Send + Sync + 'static {
    type Model: DeclaredModel;

    /// The full type name, e.g. `autopilot_device_group`.
    const TYPE_NAME: &'static str;
    /// The object in diagnostic summaries, e.g. "Device Group" ("Error Creating Device Group").
    const TITLE: &'static str;
    /// The object in sentences, e.g. "group" ("waiting for group 1234 to disappear").
    const NOUN: &'static str;
    /// The object where a sentence names it on its own, when that takes more words than [`GraphResource::NOUN`]
    /// (e.g. "Autopilot deployment profile": "No Autopilot deployment profile with id ... exists").
    const FULL_NOUN: &'static str = Self::NOUN;
    /// The verb of a create in diagnostic summaries ("Creating", or "Registering" for a device).
    const CREATE_VERB: &'static str = "Creating";
    /// What the resource is, for the docs: the portal page it replaces and the Graph object.
    const DESCRIPTION: &'static str;
    /// Defaults of the `timeouts` block (reads are bounded but not configurable).
    const TIMEOUTS: Timeouts;
    /// How `terraform import` names the object, completing "imported by ...".
    const IMPORT_ID: &'static str = "its object id (a GUID)";
    /// What destroy does to the object: deletes it (and waits until Graph no longer serves it), or, for a tenant
    /// singleton that cannot be deleted, only runs `delete` (which says what stays) and forgets it.
    const DESTROY: Destroy = Destroy::Deletes;
    /// The attribute that is the object's resource identity (`import { identity = { <it> = ... } }`): by default
    /// the object id. It must never change for the life of the object: Terraform refuses a provider whose
    /// identity of an object changes.
    const IDENTITY_ATTRIBUTE: &'static str = "id";
    /// The identity attribute's documentation.
    const IDENTITY_DESCRIPTION: &'static str = "The object id (Graph `id`, a GUID).";

    fn id(model: &Self::Model) -> Option<&str>;
    fn set_id(model: &mut Self::Model, id: String);

    /// The value of [`GraphResource::IDENTITY_ATTRIBUTE`] for the object `model` describes; by default its id.
    /// An import by identity passes it to [`GraphResource::import_id`], so that must accept it.
    fn identity_of(model: &Self::Model) -> Option<&str> {
        Self::id(model)
    }

    /// Checks across attributes that single-attribute validators cannot express. Values may be unknown.
    fn validate(&self, _config: &Self::Model, _diags: &mut Diagnostics) {}

    /// Refuses a planned create or update the configured provider cannot carry out (e.g. its way of signing in is
    /// one Graph does not accept for this object), at plan time and before any request.
    fn check_provider(&self, _data: &ProviderData, _diags: &mut Diagnostics) {}

    /// Adjusts the plan after the standard pipeline (values derivable at plan time, replacement rules).
    fn modify_plan(
        &self,
        _request: PlanRequest<'_, Self::Model>,
        _plan: &mut Self::Model,
        _diags: &mut Diagnostics,
    ) {
    }

    /// Reads the object as a model; `Ok(None)` when it does not exist. `like` is the state or plan being
    /// refreshed: what it manages and how it spells values (e.g. the case of ids) decides what is returned.
    async fn fetch(
        &self,
        op: &Op<'_>,
        id: &str,
        like: &Self::Model,
    ) -> Result<Option<Self::Model>, Failure>;

    /// Creates the object and returns its id. A failure after the object exists says so with
    /// [`Failure::created`], so it stays in state.
    async fn create(&self, op: &Op<'_>, plan: &Self::Model) -> Result<String, Failure>;

    /// Changes what the update needs that [`GraphResource::after_write`] does not already do.
    async fn update(
        &self,
        _op: &Op<'_>,
        _id: &str,
        _prior: &Self::Model,
        _plan: &Self::Model,
    ) -> Result<(), Failure> {
        Ok(())
    }

    /// Writes that follow both a create and an update (assignments, priority, properties set by actions),
    /// before the lifecycle waits for Graph to reflect the plan. `prior` is `None` after a create.
    async fn after_write(
        &self,
        _op: &Op<'_>,
        _id: &str,
        _prior: Option<&Self::Model>,
        _plan: &Self::Model,
    ) -> Result<(), Failure> {
        Ok(())
    }

    /// The last step of a create, once the state this apply returns holds the object's id (created and settled, or
    /// created and then failed): tidies what `create` kept only so that a create interrupted before this point (a
    /// killed provider, an emulator or network gone mid-apply) is recognised by the next one as this provider's own
    /// unfinished work, e.g. a device's import record. Problems are for `op.warn`: the object is in state.
    async fn finish_create(&self, _op: &Op<'_>, _id: &str) {}

    /// The plan as a create sends it until it has finished: with `marker` (see [`crate::resources::unfinished`]) in
    /// place of the description, so that a create interrupted after Graph made the object is recognised by the next
    /// apply. `None`, the default, for a resource whose creates are not marked.
    fn marked(&self, _plan: &Self::Model, _marker: &str) -> Option<Self::Model> {
        None
    }

    /// The ids of the objects named as `plan` names its object whose description is exactly `marker`.
    async fn find_marked(
        &self,
        _op: &Op<'_>,
        _plan: &Self::Model,
        _marker: &str,
    ) -> Result<Vec<String>, Failure> {
        Ok(Vec::new())
    }

    /// Deletes the object. A 404 counts as deleted (the lifecycle treats it so).
    async fn delete(&self, op: &Op<'_>, id: &str, state: &Self::Model) -> Result<(), Failure>;

    /// Whether what Graph serves now is what was planned; by default every attribute the plan knows.
    fn settled(&self, current: &Self::Model, plan: &Self::Model) -> bool {
        current.matches_plan(plan)
    }

    /// The state an apply records once Graph serves the plan ([`GraphResource::settled`]); by default what Graph
    /// serves. A resource may keep a planned value that Graph can move again at any moment (e.g. a priority that
    /// parallel moves of sibling objects renumber), leaving the next refresh to show where it really is.
    fn applied(&self, current: Self::Model, _plan: &Self::Model) -> Self::Model {
        current
    }

    /// The id an import string names. By default a GUID, taken as the object id.
    async fn import_id(&self, _op: &Op<'_>, raw: &str) -> Result<String, Failure> {
        let id = raw.trim();
        if is_guid(id) {
            Ok(id.to_string())
        } else {
            Err(Failure::new(
                "Invalid Import ID",
                format!(
                    "An {} is imported by {}, got {id:?}.",
                    Self::TYPE_NAME,
                    Self::IMPORT_ID
                ),
            ))
        }
    }

    /// The model an import reads with, as [`GraphResource::fetch`]'s `like`: by default only the id is known.
    fn import_like(&self, id: &str) -> Self::Model {
        let mut model = Self::Model::default();
        Self::set_id(&mut model, id.to_string());
        model
    }

    /// Adjusts what an import read (e.g. drops an empty set nobody configured).
    fn imported(&self, model: Self::Model) -> Self::Model {
        model
    }
}

/// A [`GraphResource`] served to Terraform through the one lifecycle.
pub struct Managed<R>(pub R);

/// A resource's value as Terraform holds it: the model and the `timeouts` block it carries along.
#[derive(Clone, Debug)]
pub struct Planned<M> {
    pub model: M,
    timeouts: Value,
}

impl<M> Planned<M> {
    /// The value of an object read outside a plan (an import, a listing): no `timeouts` block.
    pub fn without_timeouts(model: M) -> Planned<M> {
        Planned {
            model,
            timeouts: Value::Null,
        }
    }
}

impl<M: Model> Model for Planned<M> {
    fn from_value(value: &Value) -> Self {
        Planned {
            model: M::from_value(value),
            timeouts: value.attr(TIMEOUTS_BLOCK).cloned().unwrap_or(Value::Null),
        }
    }

    fn to_value(&self) -> Value {
        let mut value = self.model.to_value();
        if let Value::Object(attributes) = &mut value {
            attributes.insert(TIMEOUTS_BLOCK.to_string(), self.timeouts.clone());
        }
        value
    }
}

const TIMEOUTS_BLOCK: &str = "timeouts";

impl<R: GraphResource> Managed<R> {
    fn timeouts(&self, value: &Planned<R::Model>) -> Timeouts {
        Timeouts::from_block(&value.timeouts, R::TIMEOUTS)
    }

    fn summary(verb: &str) -> String {
        format!("Error {verb} {}", R::TITLE)
    }

    /// Waits until Graph serves the object `id` the way `plan` says, and returns what it serves.
    async fn settle(
        &self,
        op: &Op<'_>,
        id: &str,
        plan: &R::Model,
    ) -> Result<R::Model, SettleError> {
        let steps = &self.0;
        let what = format!("{} {id} to reflect the change", R::NOUN);
        // A step failure ends the wait at once; the consistency wait sees it as a (non-404) error it passes on.
        let failure: Mutex<Option<Failure>> = Mutex::new(None);
        let waited = op
            .until_stopped(consistency::wait_until(op.deadline, &what, || async {
                match steps.fetch(op, id, plan).await {
                    Ok(current) => Ok(current.filter(|c| steps.settled(c, plan))),
                    Err(e) => {
                        *failure.lock().expect("not poisoned") = Some(e);
                        Err(GraphError::Cancelled)
                    }
                }
            }))
            .await;
        match waited {
            Ok(model) => Ok(model),
            Err(error) => match failure.into_inner().ok().flatten() {
                Some(step_failure) => Err(SettleError::Step(step_failure)),
                None => Err(SettleError::Wait(error)),
            },
        }
    }

    /// The state to keep after a create failed once the object existed: the plan with its id, with whatever is
    /// still unknown set to null (Terraform refuses unknown values in a new state).
    fn partial_state(plan: &R::Model, id: String) -> R::Model {
        let mut state = R::Model::from_value(&unknowns_to_null(plan.to_value()));
        R::set_id(&mut state, id);
        state
    }

    async fn create_unmarked(&self, op: &Op<'_>, plan: &R::Model) -> Result<R::Model, Failure> {
        match self.0.create(op, plan).await {
            Ok(id) => {
                let settled = self.write_and_settle(op, &id, None, plan).await;
                self.0.finish_create(op, &id).await;
                settled.map_err(|failure| failure.created(id))
            }
            Err(failure) => {
                if let Some(id) = &failure.created_id {
                    self.0.finish_create(op, id).await;
                }
                Err(failure)
            }
        }
    }

    /// A create whose object carries `marker` until everything the plan says is written and settled; then the
    /// marker gives way to the planned description. An object an interrupted create of the same plan left is
    /// finished instead of created again.
    async fn create_marked(
        &self,
        op: &Op<'_>,
        plan: &R::Model,
        marked: &R::Model,
        marker: &str,
    ) -> Result<R::Model, Failure> {
        if let Some((id, current)) = self.find_unfinished(op, plan, marker).await? {
            op.warn(
                "Resumed an Interrupted Create",
                format!(
                    "The {} {id} still carried this provider's create marker for this configuration: an earlier \
                     apply created it and was stopped before it finished. This apply finished it instead of \
                     creating a second one.",
                    R::FULL_NOUN
                ),
            );
            return self
                .update_and_settle(op, &id, &current, plan)
                .await
                .map_err(|failure| failure.created(id));
        }
        let id = self.0.create(op, marked).await?;
        let finished = async {
            let written = self.write_and_settle(op, &id, None, marked).await?;
            // Only the description differs from what was just written; the after-write steps have nothing left
            // to do, and a listing of assignments could still miss the ones just made.
            self.0.update(op, &id, &written, plan).await?;
            self.settled_state(op, &id, Some(&written), plan).await
        };
        finished
            .await
            .map_err(|failure| failure.created(id.clone()))
    }

    /// The object an interrupted create of `plan` left, with what Graph serves of it. Only the first create of a
    /// plan in this process looks (see [`unfinished::ClaimedMarkers`]).
    async fn find_unfinished(
        &self,
        op: &Op<'_>,
        plan: &R::Model,
        marker: &str,
    ) -> Result<Option<(String, R::Model)>, Failure> {
        if !op.data.claimed_markers.claim(marker) {
            return Ok(None);
        }
        for id in self.0.find_marked(op, plan, marker).await? {
            if let Some(current) = self.0.fetch(op, &id, plan).await? {
                return Ok(Some((id, current)));
            }
        }
        Ok(None)
    }

    async fn update_and_settle(
        &self,
        op: &Op<'_>,
        id: &str,
        prior: &R::Model,
        plan: &R::Model,
    ) -> Result<R::Model, Failure> {
        self.0.update(op, id, prior, plan).await?;
        self.write_and_settle(op, id, Some(prior), plan).await
    }

    async fn write_and_settle(
        &self,
        op: &Op<'_>,
        id: &str,
        prior: Option<&R::Model>,
        plan: &R::Model,
    ) -> Result<R::Model, Failure> {
        self.0.after_write(op, id, prior, plan).await?;
        self.settled_state(op, id, prior, plan).await
    }

    /// Waits until Graph serves the plan and returns the state to record.
    async fn settled_state(
        &self,
        op: &Op<'_>,
        id: &str,
        prior: Option<&R::Model>,
        plan: &R::Model,
    ) -> Result<R::Model, Failure> {
        let current = self.settle(op, id, plan).await.map_err(|e| match e {
            SettleError::Step(failure) => failure,
            SettleError::Wait(error) => {
                let action = match prior {
                    None => format!("waiting for {} {id} to become readable as created", R::NOUN),
                    Some(_) => format!("reading back {} {id}", R::NOUN),
                };
                Failure::graph(action, &error)
            }
        })?;
        Ok(self.0.applied(current, plan))
    }
}

/// What destroy does in Graph (see [`GraphResource::DESTROY`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Destroy {
    /// Deletes the object and waits until Graph no longer serves it.
    Deletes,
    /// A tenant singleton: `delete` only tidies or restores, and the tenant keeps the object.
    Forgets,
}

enum SettleError {
    Step(Failure),
    Wait(GraphError),
}

fn unknowns_to_null(value: Value) -> Value {
    match value {
        Value::Unknown => Value::Null,
        Value::Object(attributes) => Value::Object(
            attributes
                .into_iter()
                .map(|(name, v)| (name, unknowns_to_null(v)))
                .collect(),
        ),
        Value::Set(items) if items.iter().any(Value::is_unknown) => Value::Null,
        Value::List(items) if items.iter().any(Value::is_unknown) => Value::Null,
        other => other,
    }
}

/// The identity every lifecycle resource has: its one identity attribute, a string.
pub fn identity_schema<R: GraphResource>() -> IdentitySchema {
    IdentitySchema::single_string(R::IDENTITY_ATTRIBUTE, R::IDENTITY_DESCRIPTION)
}

/// The identity data of an object whose identity attribute has `value`.
pub fn identity_data<R: GraphResource>(value: &str) -> Value {
    identity_schema::<R>().data(&[(R::IDENTITY_ATTRIBUTE, value)])
}

/// The schema every lifecycle resource has: its declared attributes and the `timeouts` block.
pub fn resource_schema<R: GraphResource>() -> Schema {
    let mut block = Block::new(R::DESCRIPTION);
    for attribute in R::Model::attributes() {
        block = block.attribute(attribute);
    }
    let default_minutes = R::TIMEOUTS.create.as_secs() / 60;
    Schema::new(
        0,
        block.block(
            TIMEOUTS_BLOCK,
            Nesting::Single,
            timeouts::block(default_minutes),
        ),
    )
}

#[async_trait]
impl<R: GraphResource> Resource<ProviderData> for Managed<R> {
    type Model = Planned<R::Model>;

    fn type_name(&self) -> &'static str {
        R::TYPE_NAME
    }

    fn schema(&self) -> Schema {
        resource_schema::<R>()
    }

    fn validate(&self, config: &Self::Model, diags: &mut Diagnostics) {
        self.0.validate(&config.model, diags);
    }

    fn identity_schema(&self) -> Option<IdentitySchema> {
        Some(identity_schema::<R>())
    }

    fn identity(&self, state: &Self::Model) -> Option<Value> {
        R::identity_of(&state.model).map(identity_data::<R>)
    }

    fn import_id_from_identity(&self, identity: &Value) -> Option<String> {
        identity
            .attr(R::IDENTITY_ATTRIBUTE)
            .and_then(Value::as_str)
            .map(str::to_string)
    }

    fn check_plan(&self, data: &ProviderData, _plan: &Self::Model, diags: &mut Diagnostics) {
        self.0.check_provider(data, diags);
    }

    fn modify_plan(
        &self,
        request: PlanRequest<'_, Self::Model>,
        plan: &mut Self::Model,
        diags: &mut Diagnostics,
    ) {
        let request = PlanRequest {
            prior: request.prior.map(|p| &p.model),
            config: &request.config.model,
            requires_replace: request.requires_replace,
        };
        self.0.modify_plan(request, &mut plan.model, diags);
    }

    async fn create(
        &self,
        ctx: &Ctx<ProviderData>,
        plan: &Self::Model,
        diags: &mut Diagnostics,
    ) -> Option<Self::Model> {
        let op = Op::new(ctx, self.timeouts(plan), Operation::Create);
        let summary = Self::summary(R::CREATE_VERB);
        let marker = unfinished::marker(R::TYPE_NAME, &plan.model.to_value());
        let outcome = match self.0.marked(&plan.model, &marker) {
            Some(marked) => self.create_marked(&op, &plan.model, &marked, &marker).await,
            None => self.create_unmarked(&op, &plan.model).await,
        };
        diags.extend(op.into_warnings());
        let model = match outcome {
            Ok(model) => model,
            Err(mut failure) => {
                let created = failure.created_id.take();
                failure.report(&summary, diags);
                Self::partial_state(&plan.model, created?)
            }
        };
        Some(Planned {
            model,
            timeouts: plan.timeouts.clone(),
        })
    }

    async fn read(
        &self,
        ctx: &Ctx<ProviderData>,
        state: &Self::Model,
        diags: &mut Diagnostics,
    ) -> Option<Self::Model> {
        let id = R::id(&state.model)?.to_string();
        let op = Op::new(ctx, self.timeouts(state), Operation::Read);
        let read = self.0.fetch(&op, &id, &state.model).await;
        diags.extend(op.into_warnings());
        match read {
            Ok(found) => found.map(|model| Planned {
                model,
                timeouts: state.timeouts.clone(),
            }),
            Err(failure) => {
                failure.report(&Self::summary("Reading"), diags);
                Some(state.clone())
            }
        }
    }

    async fn update(
        &self,
        ctx: &Ctx<ProviderData>,
        prior: &Self::Model,
        plan: &Self::Model,
        diags: &mut Diagnostics,
    ) -> Option<Self::Model> {
        let id = R::id(&prior.model)?.to_string();
        let op = Op::new(ctx, self.timeouts(plan), Operation::Update);
        let outcome = self
            .update_and_settle(&op, &id, &prior.model, &plan.model)
            .await;
        diags.extend(op.into_warnings());
        match outcome {
            Ok(model) => Some(Planned {
                model,
                timeouts: plan.timeouts.clone(),
            }),
            Err(failure) => {
                failure.report(&Self::summary("Updating"), diags);
                Some(prior.clone())
            }
        }
    }

    async fn delete(&self, ctx: &Ctx<ProviderData>, state: &Self::Model, diags: &mut Diagnostics) {
        let Some(id) = R::id(&state.model) else {
            return;
        };
        let op = Op::new(ctx, self.timeouts(state), Operation::Delete);
        let outcome = self.delete_and_wait(&op, id, &state.model).await;
        diags.extend(op.into_warnings());
        if let Err(failure) = outcome {
            failure.report(&Self::summary("Deleting"), diags);
        }
    }

    async fn import(
        &self,
        ctx: &Ctx<ProviderData>,
        raw_id: &str,
        diags: &mut Diagnostics,
    ) -> Option<Self::Model> {
        let op = Op::new(ctx, R::TIMEOUTS, Operation::Create);
        let outcome = self.import_object(&op, raw_id).await;
        diags.extend(op.into_warnings());
        match outcome {
            Ok(model) => Some(Planned {
                model,
                timeouts: Value::Null,
            }),
            Err(failure) => {
                failure.report(&Self::summary("Importing"), diags);
                None
            }
        }
    }
}

impl<R: GraphResource> Managed<R> {
    async fn delete_and_wait(
        &self,
        op: &Op<'_>,
        id: &str,
        state: &R::Model,
    ) -> Result<(), Failure> {
        self.0.delete(op, id, state).await?;
        if R::DESTROY == Destroy::Forgets {
            return Ok(());
        }
        let what = format!("{} {id} to disappear", R::NOUN);
        let steps = &self.0;
        let failure: Mutex<Option<Failure>> = Mutex::new(None);
        let gone = op
            .until_stopped(consistency::wait_until_gone(op.deadline, &what, || async {
                steps.fetch(op, id, state).await.map_err(|e| {
                    *failure.lock().expect("not poisoned") = Some(e);
                    GraphError::Cancelled
                })
            }))
            .await;
        match (gone, failure.into_inner().ok().flatten()) {
            (Ok(()), _) => Ok(()),
            (Err(_), Some(step_failure)) => Err(step_failure),
            (Err(error), None) => Err(Failure::graph(format!("waiting for {what}"), &error)),
        }
    }

    async fn import_object(&self, op: &Op<'_>, raw_id: &str) -> Result<R::Model, Failure> {
        let id = self.0.import_id(op, raw_id).await?;
        let like = self.0.import_like(&id);
        match self.0.fetch(op, &id, &like).await? {
            Some(model) => Ok(self.0.imported(model)),
            None => Err(Failure::new(
                format!("Cannot Import Non-Existent {}", R::TITLE),
                format!(
                    "No {} with id {id} exists in this tenant (it may have been deleted).",
                    R::FULL_NOUN
                ),
            )),
        }
    }
}

/// The delete step's usual shape: a 404 means someone else already deleted it, which is what was asked.
pub fn deleted_or_gone(result: Result<(), GraphError>) -> Result<(), GraphError> {
    match result {
        Err(e) if e.is_not_found() => Ok(()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn partial_state_nulls_what_is_still_unknown() {
        let value = Value::Object(BTreeMap::from([
            ("id".to_string(), Value::Unknown),
            ("name".to_string(), Value::string("x")),
            (
                "ids".to_string(),
                Value::Set(vec![Value::string("a"), Value::Unknown]),
            ),
        ]));
        let nulled = unknowns_to_null(value);
        assert_eq!(nulled.attr("id"), Some(&Value::Null));
        assert_eq!(nulled.attr("name"), Some(&Value::string("x")));
        assert_eq!(nulled.attr("ids"), Some(&Value::Null));
    }

    #[test]
    fn a_graph_failure_says_what_was_being_done_and_keeps_a_created_id() {
        let error = GraphError::PartialCreate {
            id: "g1".to_string(),
            error: Box::new(GraphError::Cancelled),
        };
        let failure = Failure::graph("adding members to group \"x\"", &error);
        assert!(
            failure
                .detail()
                .starts_with("adding members to group \"x\": ")
        );
        assert_eq!(failure.created_id.as_deref(), Some("g1"));
        let mut diags = Diagnostics::new();
        failure
            .at(AttrPath::root("members"))
            .report("Error Creating Device Group", &mut diags);
        let diagnostic = diags.iter().next().expect("one diagnostic");
        assert_eq!(diagnostic.summary, "Error Creating Device Group");
        assert_eq!(diagnostic.attribute, Some(AttrPath::root("members")));
    }
}
