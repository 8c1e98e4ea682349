from . import figures as figures
from . import realnets as realnets
from . import simulator as simulator
from . import theory as theory
from .realnets.model_analysis import analyze as analyze
from .simulator import SCHEMES as SCHEMES
from .simulator import SCOPES as SCOPES
from .simulator import STRUCTURES as STRUCTURES
from .simulator import RunOptions as RunOptions
from .simulator import magnitude_mask as magnitude_mask
from .simulator import min_kappa as min_kappa
from .simulator import node_mask as node_mask
from .simulator import prune_magnitude as prune_magnitude
from .simulator import prune_nodes as prune_nodes
from .simulator import prune_singular as prune_singular
from .simulator import pruning_ratio as pruning_ratio
from .simulator import relative_error as relative_error
from .simulator import sample_elliptical as sample_elliptical
from .simulator import sample_positive_stable as sample_positive_stable
from .simulator import sample_sas as sample_sas
from .simulator import sample_weights as sample_weights
from .simulator import singular_projector as singular_projector
from .simulator import tail_index as tail_index
from .theory import check_dependence as check_dependence
from .theory import check_proposition_s1 as check_proposition_s1
from .theory import check_theorem1 as check_theorem1
from .theory import check_theorem2 as check_theorem2
from .theory import check_theorem3 as check_theorem3
from .theory import required_size as required_size

__version__: str
CITATION: str
